using System.Text.Json.Serialization;
using ServerlessMonitor.Agents;

namespace ServerlessMonitor.Restarts;

/// <summary>
/// What one agent changed about its recovery policy (<c>PUT /api/agents/{agent}/policy</c>); a null field follows the
/// defaults in the <c>Monitor</c> section, so changing a default reaches every agent that did not say otherwise.
/// </summary>
public sealed record RecoveryPolicyOverrides
{
    public int? MaxRestarts { get; init; }
    public int? RestartWindowSeconds { get; init; }
    public int? BackoffInitialSeconds { get; init; }
    public int? BackoffMaxSeconds { get; init; }
    public int? BackoffResetSeconds { get; init; }
    public int? StartupGraceSeconds { get; init; }
    public bool? RestartOnFailureReport { get; init; }
    public bool? RestartOnCleanExit { get; init; }

    [JsonIgnore]
    public bool IsEmpty => this == new RecoveryPolicyOverrides();
}

/// <summary>The recovery policy in force for one agent: its overrides over the <c>Monitor</c> defaults.</summary>
public sealed record RecoveryPolicy
{
    public RecoveryAction Action { get; init; }
    /// <summary>At most this many restarts within <see cref="RestartWindowSeconds"/>; then restarts stop and <c>restart.suppressed</c> is raised.</summary>
    public int MaxRestarts { get; init; }
    public int RestartWindowSeconds { get; init; }
    /// <summary>The pause before the second restart in a row; it doubles with each further one up to <see cref="BackoffMaxSeconds"/>.</summary>
    public int BackoffInitialSeconds { get; init; }
    public int BackoffMaxSeconds { get; init; }
    /// <summary>After this long healthy, the next restart is again immediate.</summary>
    public int BackoffResetSeconds { get; init; }
    /// <summary>How long a restarted agent has to send its first heartbeat before the restart counts as failed.</summary>
    public int StartupGraceSeconds { get; init; }
    /// <summary>Whether an agent that reported <c>status: fail</c> is restarted (false: alert only).</summary>
    public bool RestartOnFailureReport { get; init; }
    /// <summary>Whether a container that exited with code 0 (on purpose) is restarted.</summary>
    public bool RestartOnCleanExit { get; init; }

    public static RecoveryPolicy For(AgentRecord agent, MonitorOptions defaults)
    {
        var o = agent.Policy ?? new RecoveryPolicyOverrides();
        return new RecoveryPolicy
        {
            Action = agent.RecoveryAction,
            MaxRestarts = o.MaxRestarts ?? defaults.DefaultMaxRestarts,
            RestartWindowSeconds = o.RestartWindowSeconds ?? defaults.DefaultRestartWindowSeconds,
            BackoffInitialSeconds = o.BackoffInitialSeconds ?? defaults.DefaultBackoffInitialSeconds,
            BackoffMaxSeconds = o.BackoffMaxSeconds ?? defaults.DefaultBackoffMaxSeconds,
            BackoffResetSeconds = o.BackoffResetSeconds ?? defaults.DefaultBackoffResetSeconds,
            StartupGraceSeconds = o.StartupGraceSeconds ?? defaults.DefaultStartupGraceSeconds,
            RestartOnFailureReport = o.RestartOnFailureReport ?? defaults.DefaultRestartOnFailureReport,
            RestartOnCleanExit = o.RestartOnCleanExit ?? defaults.DefaultRestartOnCleanExit,
        };
    }
}
