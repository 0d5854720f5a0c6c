using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessMonitor.Events;

namespace ServerlessMonitor.Alerts;

/// <summary>
/// The alerts subscription: delivers each event to every channel that wants it, once. A channel that fails makes the
/// handler throw after the others were tried, so the transport redelivers; channels already reached are skipped then.
/// </summary>
public sealed partial class AlertDispatcher(
    IHttpClientFactory httpClients,
    DeliveryRepository deliveries,
    IOptionsMonitor<AlertOptions> options,
    TimeProvider time,
    ILogger<AlertDispatcher> logger) : ISubscriptionHandler
{
    public const string HttpClientName = "alerts";

    public async Task HandleAsync(MonitorEvent monitorEvent, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (var (name, channel) in options.CurrentValue.Channels)
        {
            if (channel.Url is null || (channel.Events.Count > 0 && !channel.Events.Contains(monitorEvent.Type, StringComparer.Ordinal)))
            {
                continue;
            }
            if (await deliveries.IsDeliveredAsync(monitorEvent.Id, name, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }
            var (status, error) = await SendAsync(channel.Url, monitorEvent, cancellationToken).ConfigureAwait(false);
            var delivered = status is >= 200 and < 300;
            await deliveries.RecordAsync(monitorEvent.Id, name, delivered ? "delivered" : "failed", status, error, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            if (delivered)
            {
                LogDelivered(monitorEvent.Type, monitorEvent.Id, monitorEvent.Agent, name);
            }
            else
            {
                LogFailed(monitorEvent.Type, monitorEvent.Id, monitorEvent.Agent, name, status, error);
                failures.Add(name);
            }
        }
        if (failures.Count > 0)
        {
            throw new AlertDeliveryException($"Delivering {monitorEvent.Type} {monitorEvent.Id} failed for channel(s) {string.Join(", ", failures)}.");
        }
    }

    private async Task<(int? Status, string? Error)> SendAsync(Uri url, MonitorEvent monitorEvent, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(EventSerializer.Serialize(monitorEvent));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        try
        {
            using var response = await httpClients.CreateClient(HttpClientName).PostAsync(url, content, cancellationToken).ConfigureAwait(false);
            return ((int)response.StatusCode, response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (null, e is TaskCanceledException ? "timed out" : e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivered {EventType} {EventId} for agent {Agent} to channel {Channel}")]
    private partial void LogDelivered(string eventType, string eventId, string? agent, string channel);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivering {EventType} {EventId} for agent {Agent} to channel {Channel} failed: {Status} {Error}")]
    private partial void LogFailed(string eventType, string eventId, string? agent, string channel, int? status, string? error);
}

public sealed class AlertDeliveryException(string message) : Exception(message);
