using System.Text.Json.Serialization;
using ServerlessMonitor.Json;

namespace ServerlessMonitor.Agents;

/// <summary>Where an agent is in its life cycle. Serialized in lower case (<c>up</c>, <c>down</c>, ...).</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<AgentStatus>))]
public enum AgentStatus
{
    /// <summary>Registered ahead of its first heartbeat; times out like an <see cref="Up"/> agent if it never starts.</summary>
    New,
    Up,
    Down,
    /// <summary>Heartbeats are recorded, but silence raises nothing.</summary>
    Paused,
}

/// <summary>What an agent says about itself in a heartbeat.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<ReportedStatus>))]
public enum ReportedStatus
{
    Ok,
    Start,
    Fail,
}

/// <summary>Why an incident was opened.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<IncidentReason>))]
public enum IncidentReason
{
    TimedOut,
    Failed,
}

/// <summary>What the monitor does when an agent goes down.</summary>
[JsonConverter(typeof(KebabCaseEnumConverter<RecoveryAction>))]
public enum RecoveryAction
{
    Restart,
    AlertOnly,
}
