using System.Globalization;
using ServerlessMonitor.Heartbeats;

namespace ServerlessMonitor.Agents;

/// <summary>The agent state machine as pure functions of (record, input, now); storage and events are the callers' business.</summary>
public static class AgentLifecycle
{
    public static AgentRecord Register(Heartbeat heartbeat, DateTimeOffset now, MonitorOptions options)
    {
        var interval = heartbeat.IntervalSeconds ?? Math.Min(options.DefaultIntervalSeconds, heartbeat.TimeoutSeconds ?? int.MaxValue);
        var timeout = heartbeat.TimeoutSeconds ?? Math.Max(options.DefaultTimeoutSeconds, Math.Min(2 * interval, options.MaxTimeoutSeconds));
        var registered = new AgentRecord
        {
            Name = heartbeat.Agent,
            Status = AgentStatus.Up,
            RegisteredAt = now,
            IntervalSeconds = interval,
            TimeoutSeconds = timeout,
            RecoveryAction = options.DefaultRecoveryAction,
            Deadline = now.AddSeconds(timeout),
        };
        return Beat(registered, heartbeat, now).Record;
    }

    /// <summary>
    /// Applies a heartbeat's facts (time, deadline, location, message, usage) without changing <see cref="AgentRecord.Status"/>.
    /// When the heartbeat starts a new UTC day, the finished day's usage is returned so it can be kept.
    /// </summary>
    public static (AgentRecord Record, DailyUsage? FinishedDay) Beat(AgentRecord record, Heartbeat heartbeat, DateTimeOffset now)
    {
        var today = DateOnly.FromDateTime(now.UtcDateTime);
        DailyUsage? finished = null;
        var tokens = record.UsageTokens;
        var cost = record.UsageCostUsd;
        if (record.UsageDate != today)
        {
            if (record.UsageDate is { } day && (tokens > 0 || cost > 0))
            {
                finished = new DailyUsage(day, tokens, cost);
            }
            tokens = 0;
            cost = 0;
        }

        return (record with
        {
            Host = heartbeat.Host ?? record.Host,
            Container = heartbeat.Container ?? record.Container,
            LastHeartbeatAt = now,
            Deadline = now.AddSeconds(record.TimeoutSeconds),
            LastReportedStatus = heartbeat.Status,
            LastMessage = heartbeat.Message ?? record.LastMessage,
            Progress = heartbeat.Progress ?? record.Progress,
            HeartbeatCount = record.HeartbeatCount + 1,
            UsageDate = today,
            UsageTokens = checked(tokens + heartbeat.Tokens),
            UsageCostUsd = cost + heartbeat.CostUsd,
        }, finished);
    }

    /// <summary>
    /// The incident an outage of <paramref name="record"/> belongs to. It is derived from the moment the agent was last
    /// seen, so every sweep, retry or replica that looks at the same outage names the same incident.
    /// </summary>
    public static string IncidentIdFor(AgentRecord record) =>
        record.Name + "@" + record.LastSeenAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Opens an incident: the agent is down since it was last seen (timeout) or since now (it reported failure).</summary>
    public static AgentRecord GoDown(AgentRecord record, IncidentReason reason, string incidentId, DateTimeOffset downSince) => record with
    {
        Status = AgentStatus.Down,
        IncidentId = incidentId,
        IncidentReason = reason,
        DownSince = downSince,
    };

    public static AgentRecord Recover(AgentRecord record) => record with
    {
        Status = AgentStatus.Up,
        LastIncidentId = record.IncidentId,
        IncidentId = null,
        IncidentReason = null,
        DownSince = null,
    };
}

public sealed record DailyUsage(DateOnly Day, long Tokens, decimal CostUsd);
