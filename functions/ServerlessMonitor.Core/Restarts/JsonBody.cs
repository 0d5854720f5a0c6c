using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using ServerlessMonitor.Http;

namespace ServerlessMonitor.Restarts;

/// <summary>Reads a small JSON request body of the admin and host APIs, answering a 400 problem for anything else.</summary>
internal static class JsonBody
{
    public static async Task<(T? Value, ApiResponse? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo, int maxBytes, CancellationToken cancellationToken)
        where T : class
    {
        if (request.ContentLength > maxBytes)
        {
            return (null, TooLarge(maxBytes));
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
            {
                return (null, TooLarge(maxBytes));
            }
        }
        if (buffer.Length == 0)
        {
            return (null, Malformed("The body is empty; send a JSON object."));
        }
        try
        {
            var value = JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), typeInfo);
            return value is null ? (null, Malformed("The body must be a JSON object, not null.")) : (value, null);
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 1 } path ? $"The value at {path} has the wrong type or format" : "The body is not a valid JSON object";
            return (null, Malformed($"{where} (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})."));
        }
    }

    private static ApiResponse TooLarge(int maxBytes) =>
        ApiResponse.Problem(StatusCodes.Status400BadRequest, "The body is too large", $"The body may be at most {maxBytes} bytes.", ProblemTypes.BodyTooLarge);

    private static ApiResponse Malformed(string detail) =>
        ApiResponse.Problem(StatusCodes.Status400BadRequest, "The body is not valid JSON for this route", detail, ProblemTypes.MalformedJson);
}
