using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ServerlessMonitor.Events;

namespace ServerlessMonitor.Alerts.Channels;

/// <summary>
/// PagerDuty Events API v2: an outage (<c>agent.timed_out</c>, <c>agent.failed</c>) triggers an alert, the recovery
/// resolves it. <c>dedup_key</c> is the incident id, so the PagerDuty incident opens and closes by itself, and a
/// repeated trigger of the same outage is merged by PagerDuty. Other events are not sent: they would only add noise there.
/// </summary>
public sealed class PagerDutyChannel(string name, Uri apiBaseUrl, string routingKey, AlertHttpSender sender) : IAlertChannel
{
    public static readonly Uri DefaultApiBaseUrl = new("https://events.pagerduty.com");

    private const int MaxSummary = 1024;
    private const int MaxDedupKey = 255;

    private readonly Uri _enqueue = new(AlertChannels.WithTrailingSlash(apiBaseUrl), "v2/enqueue");

    public string Name => name;
    public string Type => AlertChannelTypes.PagerDuty;
    public bool IsChat => false;
    public string EndpointFingerprint { get; } = AlertChannels.Fingerprint(AlertChannelTypes.PagerDuty, apiBaseUrl.AbsoluteUri, routingKey);

    public bool Covers(string eventType) => AlertEventTypes.IsOutage(eventType) || eventType == EventTypes.AgentRecovered;

    public async Task<SendResult> SendAsync(OutgoingAlert alert, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _enqueue) { Content = JsonContent.Create(Render(alert.OnlyEvent, routingKey)) };
        request.Headers.UserAgent.Add(AlertChannels.UserAgent);
        return await sender.SendAsync(Name, request, [routingKey], cancellationToken).ConfigureAwait(false);
    }

    public static JsonObject Render(MonitorEvent e, string routingKey)
    {
        var dedupKey = AlertFormatter.Truncate(e.IncidentId ?? e.Id, MaxDedupKey);
        if (e.Type == EventTypes.AgentRecovered)
        {
            return new JsonObject { ["routing_key"] = routingKey, ["event_action"] = "resolve", ["dedup_key"] = dedupKey };
        }

        var card = AlertFormatter.Card(e);
        var details = new JsonObject();
        foreach (var fact in card.Facts)
        {
            details[fact.Label] = fact.Value;
        }
        if (card.Action is not null)
        {
            details["Action"] = card.Action;
        }
        foreach (var block in card.Preformatted)
        {
            details[block.Label] = block.Text;
        }
        details["Incident"] = e.IncidentId;
        details["Event"] = e.Id;

        var summary = card.Summary is null ? card.Title : $"{e.Agent}: {card.Summary}";
        var payload = new JsonObject
        {
            ["routing_key"] = routingKey,
            ["event_action"] = "trigger",
            ["dedup_key"] = dedupKey,
            ["client"] = "ServerlessMonitor",
            ["payload"] = new JsonObject
            {
                ["summary"] = AlertFormatter.Truncate(summary, MaxSummary),
                ["source"] = e.Host is null ? e.Agent : e.Container is null ? e.Host : $"{e.Host}/{e.Container}",
                ["severity"] = e.Type == EventTypes.AgentFailed ? "error" : "critical",
                ["timestamp"] = e.Time.ToString("O", CultureInfo.InvariantCulture),
                ["component"] = e.Agent,
                ["group"] = e.Host,
                ["class"] = e.Type,
                ["custom_details"] = details,
            },
        };
        // Optional fields are left out rather than sent as null.
        var fields = payload["payload"]!.AsObject();
        foreach (var empty in fields.Where(f => f.Value is null).Select(f => f.Key).ToList())
        {
            fields.Remove(empty);
        }
        return payload;
    }
}
