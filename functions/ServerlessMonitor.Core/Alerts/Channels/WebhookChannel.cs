using System.Globalization;
using System.Net.Http.Headers;
using ServerlessMonitor.Events;

namespace ServerlessMonitor.Alerts.Channels;

/// <summary>
/// A generic webhook: the event itself as JSON, signed per Standard Webhooks. <c>webhook-id</c> is the event id, the
/// same on every retry and redelivery, so consumers can drop duplicates; <c>webhook-timestamp</c> is the attempt's time.
/// </summary>
public sealed class WebhookChannel(string name, Uri url, IReadOnlyList<string> secrets, AlertHttpSender sender, TimeProvider time) : IAlertChannel
{
    private readonly byte[][] _keys = [.. secrets.Select(s => StandardWebhookSignature.TryDecodeSecret(s, out var key) ? key : null).OfType<byte[]>()];

    public string Name => name;
    public string Type => AlertChannelTypes.Webhook;
    public bool IsChat => false;
    public string EndpointFingerprint { get; } = AlertChannels.Fingerprint(AlertChannelTypes.Webhook, url.AbsoluteUri);

    public bool Covers(string eventType) => true;

    public async Task<SendResult> SendAsync(OutgoingAlert alert, CancellationToken cancellationToken)
    {
        var monitorEvent = alert.OnlyEvent;
        var body = EventSerializer.Serialize(monitorEvent);
        var timestamp = time.GetUtcNow().ToUnixTimeSeconds();

        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add("webhook-id", monitorEvent.Id);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        if (_keys.Length > 0)
        {
            request.Headers.Add("webhook-signature", StandardWebhookSignature.Sign(monitorEvent.Id, timestamp, body, _keys));
        }
        request.Headers.UserAgent.Add(AlertChannels.UserAgent);
        return await sender.SendAsync(Name, request, [.. secrets, url.AbsoluteUri, url.PathAndQuery], cancellationToken).ConfigureAwait(false);
    }
}
