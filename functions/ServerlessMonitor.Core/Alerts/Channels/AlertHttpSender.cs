using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessMonitor.Alerts.Network;

namespace ServerlessMonitor.Alerts.Channels;

/// <summary>
/// Sends the channels' HTTP requests and classifies the answers the same way for every channel: 2xx delivered; 410 gone;
/// 408, 429 and 5xx worth a retry (honouring <c>Retry-After</c>); other 4xx and redirects rejected. Every call is bounded
/// by <see cref="CallTimeout"/>. The errors it reports never contain the URL (it carries tokens).
/// </summary>
public sealed partial class AlertHttpSender(IHttpClientFactory clients, IOptionsMonitor<AlertOptions> options, TimeProvider time, ILogger<AlertHttpSender> logger)
{
    public const string HttpClientName = "alerts";
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Set on every alert request, so that telemetry can leave them out: HTTP dependency tracking records the full URL,
    /// and the URLs of Slack, Discord, Teams and Telegram carry their tokens.
    /// </summary>
    public static readonly HttpRequestOptionsKey<bool> AlertRequest = new("ServerlessMonitor.AlertRequest");

    private const int MaxErrorBodyBytes = 2048;
    private const int MaxErrorTextLength = 200;

    /// <param name="channel">For logs: the channel's name.</param>
    /// <param name="secrets">Values to blank out of any error text taken from the response (tokens, keys).</param>
    /// <param name="retryAfterFromBody">Reads a wait from an error body, for services that say it there (Telegram, Discord).</param>
    public async Task<SendResult> SendAsync(
        string channel,
        HttpRequestMessage request,
        IReadOnlyCollection<string> secrets,
        CancellationToken cancellationToken,
        Func<string, TimeSpan?>? retryAfterFromBody = null)
    {
        if (request.RequestUri is { Scheme: not "https" } && !options.CurrentValue.AllowHttp)
        {
            LogRefused(channel, "plain http");
            return new SendResult(SendOutcome.Rejected, Error: "refused: plain http is not allowed (Alerts:AllowHttp is off)");
        }

        request.Options.Set(AlertRequest, true);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CallTimeout);
        try
        {
            using var response = await clients.CreateClient(HttpClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return SendResult.Delivered(status);
            }

            var body = await ReadErrorBodyAsync(response, timeout.Token).ConfigureAwait(false);
            var error = Describe(response, Redact(body, secrets));
            return status switch
            {
                (int)HttpStatusCode.Gone => new SendResult(SendOutcome.Gone, status, error),
                (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests or >= 500 =>
                    new SendResult(SendOutcome.RetryLater, status, error, RetryAfter(response) ?? (body.Length > 0 ? retryAfterFromBody?.Invoke(body) : null)),
                >= 300 and < 400 => new SendResult(SendOutcome.Rejected, status, $"HTTP {status}: redirects are not followed; configure the final URL"),
                _ => new SendResult(SendOutcome.Rejected, status, error),
            };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            return new SendResult(SendOutcome.RetryLater, Error: $"no answer within {CallTimeout.TotalSeconds:0} s");
        }
        catch (HttpRequestException e) when (FindRefusal(e) is { } refusal)
        {
            LogRefused(channel, refusal.Message);
            return new SendResult(SendOutcome.Rejected, Error: refusal.Message);
        }
        catch (HttpRequestException e)
        {
            // e.Message may name the host and port; describe the failure by its kind instead.
            var socket = FindInner<SocketException>(e);
            var detail = socket is not null ? $"{e.HttpRequestError}, {socket.SocketErrorCode}" : e.HttpRequestError.ToString();
            return new SendResult(SendOutcome.RetryLater, Error: $"connection failed ({detail})");
        }
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        if (response.Headers.RetryAfter is not { } retryAfter)
        {
            return null;
        }
        if (retryAfter.Delta is { } delta)
        {
            return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        }
        if (retryAfter.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    private static async Task<string> ReadErrorBodyAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var buffer = new byte[MaxErrorBodyBytes];
                var read = 0;
                int n;
                while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    read += n;
                }
                return Encoding.UTF8.GetString(buffer, 0, read);
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return "";
        }
    }

    private static string Describe(HttpResponseMessage response, string body)
    {
        var text = string.Join(' ', body.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (text.Length > MaxErrorTextLength)
        {
            text = text[..MaxErrorTextLength] + "…";
        }
        var status = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        return text.Length == 0 ? $"HTTP {status} {response.ReasonPhrase}" : $"HTTP {status} {response.ReasonPhrase}: {text}";
    }

    /// <summary>Services sometimes echo the request; make sure no token or key travels on into storage and the API.</summary>
    private static string Redact(string text, IReadOnlyCollection<string> secrets)
    {
        foreach (var secret in secrets.Where(s => s.Length >= 4))
        {
            text = text.Replace(secret, "***", StringComparison.Ordinal);
        }
        return text;
    }

    private static OutboundAddressRefusedException? FindRefusal(Exception e) => FindInner<OutboundAddressRefusedException>(e);

    private static T? FindInner<T>(Exception e) where T : Exception
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
        {
            if (current is T match)
            {
                return match;
            }
        }
        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Channel {Channel}: the request was refused before connecting ({Reason})")]
    private partial void LogRefused(string channel, string reason);
}
