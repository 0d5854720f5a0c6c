using System.Globalization;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Json;

namespace ServerlessMonitor.Events;

/// <summary>Builds the events about an agent's outages from its record, so every publisher of an outage says the same thing under the same id.</summary>
public static class AgentEvents
{
    /// <summary>The event that announces the open incident of a down agent (<c>agent.timed_out</c> or <c>agent.failed</c>).</summary>
    public static MonitorEvent Outage(AgentRecord down, DateTimeOffset now)
    {
        var incidentId = down.IncidentId ?? throw new ArgumentException("The agent has no open incident.", nameof(down));
        var failed = down.IncidentReason == IncidentReason.Failed;
        var type = failed ? EventTypes.AgentFailed : EventTypes.AgentTimedOut;
        var summary = failed
            ? $"Agent {down.Name} reported a failure{MessageSuffix(down.LastMessage)}."
            : $"Agent {down.Name} has been silent since {Stamp(down.LastSeenAt)} (timeout {down.TimeoutSeconds} s).";
        return new MonitorEvent
        {
            Id = EventIds.For(incidentId, type),
            Type = type,
            Time = now,
            Agent = down.Name,
            Host = down.Host,
            Container = down.Container,
            IncidentId = incidentId,
            Details = new EventDetails
            {
                Summary = summary,
                LastHeartbeatAt = down.LastHeartbeatAt,
                LastMessage = down.LastMessage,
                LastStatus = down.LastReportedStatus is { } s ? WireNames.Name(s) : null,
                Deadline = failed ? null : down.Deadline,
                TimeoutSeconds = down.TimeoutSeconds,
                DownSince = down.DownSince,
                RecoveryAction = WireNames.Name(down.RecoveryAction),
            },
        };
    }

    public static MonitorEvent Recovered(AgentRecord wasDown, DateTimeOffset now)
    {
        var incidentId = wasDown.IncidentId ?? throw new ArgumentException("The agent has no open incident.", nameof(wasDown));
        var since = wasDown.DownSince ?? wasDown.LastSeenAt;
        var downtime = Math.Max(0, (now - since).TotalSeconds);
        return new MonitorEvent
        {
            Id = EventIds.For(incidentId, EventTypes.AgentRecovered),
            Type = EventTypes.AgentRecovered,
            Time = now,
            Agent = wasDown.Name,
            Host = wasDown.Host,
            Container = wasDown.Container,
            IncidentId = incidentId,
            Details = new EventDetails
            {
                Summary = $"Agent {wasDown.Name} is back after {FormatDuration(downtime)} of downtime.",
                DownSince = since,
                RecoveredAt = now,
                DowntimeSeconds = Math.Round(downtime, 3),
            },
        };
    }

    public static string FormatDuration(double seconds)
    {
        var span = TimeSpan.FromSeconds(Math.Round(seconds));
        return span.TotalHours >= 1 ? $"{(int)span.TotalHours} h {span.Minutes} min"
            : span.TotalMinutes >= 1 ? $"{span.Minutes} min {span.Seconds} s"
            : $"{span.Seconds} s";
    }

    private static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static string MessageSuffix(string? message) => string.IsNullOrEmpty(message) ? "" : $": {message}";
}
