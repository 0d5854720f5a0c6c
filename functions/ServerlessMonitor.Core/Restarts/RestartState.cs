using System.Text.Json.Serialization;
using ServerlessMonitor.Json;

namespace ServerlessMonitor.Restarts;

/// <summary>Where the restart loop of an agent's incident stands.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<RestartPhase>))]
public enum RestartPhase
{
    /// <summary>No restart is under way.</summary>
    None,
    /// <summary>A restart is due at <see cref="RestartState.CheckAt"/>, after the backoff.</summary>
    Scheduled,
    /// <summary>A command waits for (or is being carried out by) the host's restart agent.</summary>
    Requested,
    /// <summary>The container was restarted; the first heartbeat is awaited until <see cref="RestartState.CheckAt"/> (the start-up grace).</summary>
    Restarted,
    /// <summary>The agent heartbeated while the restart agent was still working on the command; its result decides whether the restart did it.</summary>
    AwaitingResult,
    /// <summary>Restarts stopped for this incident (budget, policy, host offline); people were alerted.</summary>
    Suppressed,
    /// <summary>The last restart failed and no further one is attempted for this incident.</summary>
    Failed,
}

/// <summary>
/// The restart history and the closed loop of one agent, kept on its row (ETag-guarded like every other change of it).
/// <see cref="CheckAt"/> is mirrored in the deadline index, so the sweeper looks at the loop again when it is due.
/// </summary>
public sealed record RestartState
{
    public static readonly RestartState Initial = new();

    public RestartPhase Phase { get; init; }
    /// <summary>The incident this loop answers; a state of an older incident is history only.</summary>
    public string? IncidentId { get; init; }
    public string? CommandId { get; init; }
    /// <summary>Restarts requested for <see cref="IncidentId"/>.</summary>
    public int Attempt { get; init; }
    /// <summary>When the sweeper must look at the loop again (backoff over, command expiry, start-up grace over).</summary>
    public DateTimeOffset? CheckAt { get; init; }
    /// <summary>The last heartbeat before the outage: the start of the downtime a successful restart reports.</summary>
    public DateTimeOffset? DownSince { get; init; }
    public DateTimeOffset? RestartedAt { get; init; }
    /// <summary>The first heartbeat after the restart, while <see cref="RestartPhase.AwaitingResult"/>.</summary>
    public DateTimeOffset? RecoveredAt { get; init; }

    /// <summary>When restarts were requested, newest last, trimmed to the restart window: the restart budget.</summary>
    public IReadOnlyList<DateTimeOffset> History { get; init; } = [];
    /// <summary>Restarts in a row without a healthy stretch of the backoff reset time between them: the backoff exponent.</summary>
    public int Consecutive { get; init; }
    public DateTimeOffset? LastRestartAt { get; init; }
    /// <summary>When the agent last came back from an outage (for the backoff reset).</summary>
    public DateTimeOffset? LastRecoveredAt { get; init; }

    public bool Answers(string? incidentId) => incidentId is not null && IncidentId == incidentId;
}
