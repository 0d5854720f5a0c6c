using Azure;
using ServerlessMonitor.Restarts;

namespace ServerlessMonitor.Agents;

/// <summary>
/// The stored state of one agent: the row the heartbeat path updates and the sweeper transitions.
/// Immutable; a transition produces a new record that is written under the old one's ETag.
/// </summary>
public sealed record AgentRecord
{
    public required string Name { get; init; }
    public AgentStatus Status { get; init; }
    public string? Host { get; init; }
    public string? Container { get; init; }
    public DateTimeOffset RegisteredAt { get; init; }
    public DateTimeOffset? LastHeartbeatAt { get; init; }
    /// <summary>When silence becomes an outage: last heartbeat (or registration) plus <see cref="TimeoutSeconds"/>.</summary>
    public DateTimeOffset Deadline { get; init; }
    public int IntervalSeconds { get; init; }
    public int TimeoutSeconds { get; init; }
    public RecoveryAction RecoveryAction { get; init; }
    public ReportedStatus? LastReportedStatus { get; init; }
    public string? LastMessage { get; init; }
    public long? Progress { get; init; }
    public long HeartbeatCount { get; init; }

    /// <summary>The open incident while <see cref="Status"/> is <see cref="AgentStatus.Down"/>.</summary>
    public string? IncidentId { get; init; }
    public IncidentReason? IncidentReason { get; init; }
    public DateTimeOffset? DownSince { get; init; }
    public string? LastIncidentId { get; init; }

    /// <summary>Usage reported with heartbeats, summed for <see cref="UsageDate"/> (UTC); earlier days live in the usage history.</summary>
    public DateOnly? UsageDate { get; init; }
    public long UsageTokens { get; init; }
    public decimal UsageCostUsd { get; init; }

    /// <summary>The agent's own recovery settings (<c>PUT /api/agents/{agent}/policy</c>); unset ones follow the <c>Monitor</c> defaults.</summary>
    public RecoveryPolicyOverrides? Policy { get; init; }

    /// <summary>Restart history (budget, backoff) and the closed loop of the current incident's restart.</summary>
    public RestartState Restart { get; init; } = RestartState.Initial;

    public ETag ETag { get; init; }

    /// <summary>The moment the agent was last known alive: its last heartbeat, else its registration.</summary>
    public DateTimeOffset LastSeenAt => LastHeartbeatAt ?? RegisteredAt;
}
