using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;

namespace ServerlessMonitor.Http;

/// <summary>
/// Reads a small JSON request body for every route that takes one: at most <c>maxBytes</c> are read whatever the
/// Content-Length claims, and anything but a JSON object of <typeparamref name="T"/> becomes a 400 problem that says where.
/// </summary>
internal static class JsonBody
{
    /// <param name="what">What the body should be, for the problem title ("heartbeat").</param>
    /// <param name="emptyHint">The problem detail for an empty body: what to send instead.</param>
    public static async Task<(T? Value, ApiResponse? Problem)> ReadAsync<T>(
        HttpRequest request, JsonTypeInfo<T> typeInfo, int maxBytes, string what, string emptyHint, CancellationToken cancellationToken)
        where T : class
    {
        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(what, maxBytes));
        }
        var buffer = ArrayPool<byte>.Shared.Rent(maxBytes + 1);
        try
        {
            var length = 0;
            int read;
            while (length <= maxBytes
                && (read = await request.Body.ReadAsync(buffer.AsMemory(length, maxBytes + 1 - length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
            }
            if (length > maxBytes)
            {
                return (null, TooLarge(what, maxBytes));
            }
            if (length == 0)
            {
                return (null, Malformed(what, emptyHint));
            }
            try
            {
                var value = JsonSerializer.Deserialize(buffer.AsSpan(0, length), typeInfo);
                return value is null ? (null, Malformed(what, "The body must be a JSON object, not null.")) : (value, null);
            }
            catch (JsonException e)
            {
                var where = e.Path is { Length: > 1 } path ? $"The value at {path} has the wrong type or format" : "The body is not a valid JSON object";
                return (null, Malformed(what, $"{where} (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})."));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ApiResponse TooLarge(string what, int maxBytes) =>
        ApiResponse.Problem(StatusCodes.Status400BadRequest, "The body is too large", $"A {what} body may be at most {maxBytes} bytes.", ProblemTypes.BodyTooLarge);

    private static ApiResponse Malformed(string what, string detail) =>
        ApiResponse.Problem(StatusCodes.Status400BadRequest, $"The body is not a valid {what}", detail, ProblemTypes.MalformedJson);
}
