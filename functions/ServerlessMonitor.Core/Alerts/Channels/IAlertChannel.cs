using ServerlessMonitor.Events;

namespace ServerlessMonitor.Alerts.Channels;

/// <summary>One configured alert channel: formats alerts for its service and sends them. One class per channel type.</summary>
public interface IAlertChannel
{
    /// <summary>The configured name (<c>Alerts:Channels:{name}</c>): what logs, the deliveries table and the API show, never the URL.</summary>
    string Name { get; }

    /// <summary>One of <see cref="AlertChannelTypes"/>.</summary>
    string Type { get; }

    /// <summary>Chat channels get alerts that arrive together as one message; webhooks and PagerDuty get one request per event.</summary>
    bool IsChat { get; }

    /// <summary>
    /// Identifies the endpoint without revealing it (a hash of its settings), so that a channel disabled after HTTP 410
    /// comes back by itself once its settings point somewhere else.
    /// </summary>
    string EndpointFingerprint { get; }

    /// <summary>Whether the channel has anything to say about events of this type (PagerDuty only opens and closes incidents).</summary>
    bool Covers(string eventType);

    /// <summary>Formats and sends one alert: a single event, or for chat channels possibly several that arrived together.</summary>
    Task<SendResult> SendAsync(OutgoingAlert alert, CancellationToken cancellationToken);
}

/// <summary>What a channel sends in one request. <see cref="DeliveryId"/> is the event id for single events, the group id for grouped chat messages.</summary>
public sealed record OutgoingAlert(string DeliveryId, IReadOnlyList<MonitorEvent> Events)
{
    public MonitorEvent OnlyEvent => Events.Count == 1 ? Events[0] : throw new InvalidOperationException($"Delivery {DeliveryId} carries {Events.Count} events where one was expected.");
}

public enum SendOutcome
{
    Delivered,
    /// <summary>Worth trying again later: 408, 429, 5xx, a timeout or a connection failure.</summary>
    RetryLater,
    /// <summary>No retry will help: other 4xx, a redirect, a refused address.</summary>
    Rejected,
    /// <summary>HTTP 410: the endpoint is gone for good; the channel is disabled.</summary>
    Gone,
}

/// <summary>The outcome of one send. <see cref="Error"/> is safe to store and show: it never carries URLs or secrets.</summary>
public sealed record SendResult(SendOutcome Outcome, int? HttpStatus = null, string? Error = null, TimeSpan? RetryAfter = null)
{
    public static SendResult Delivered(int status) => new(SendOutcome.Delivered, status);
}

/// <summary>The channel types of <c>Alerts:Channels:{name}:Type</c>.</summary>
public static class AlertChannelTypes
{
    public const string Webhook = "webhook";
    public const string Slack = "slack";
    public const string Telegram = "telegram";
    public const string Teams = "teams";
    public const string Discord = "discord";
    public const string PagerDuty = "pagerduty";

    public static IReadOnlyList<string> All { get; } = [Webhook, Slack, Telegram, Teams, Discord, PagerDuty];
}
