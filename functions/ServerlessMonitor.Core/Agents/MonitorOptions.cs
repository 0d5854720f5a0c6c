using System.ComponentModel.DataAnnotations;

namespace ServerlessMonitor.Agents;

/// <summary>Policy defaults for agents that register themselves, and the limits of what they may ask for. Section <c>Monitor</c>.</summary>
public sealed class MonitorOptions : IValidatableObject
{
    public const string SectionName = "Monitor";

    /// <summary>Expected heartbeat interval for agents that don't say.</summary>
    [Range(1, 86_400)]
    public int DefaultIntervalSeconds { get; set; } = 60;

    /// <summary>Silence after which an agent that doesn't say otherwise is down.</summary>
    [Range(1, 604_800)]
    public int DefaultTimeoutSeconds { get; set; } = 120;

    /// <summary>The shortest timeout an agent may ask for; shorter ones are refused, since they would flap with the sweep schedule.</summary>
    [Range(1, 604_800)]
    public int MinTimeoutSeconds { get; set; } = 10;

    [Range(1, 604_800)]
    public int MaxTimeoutSeconds { get; set; } = 604_800;

    public RecoveryAction DefaultRecoveryAction { get; set; } = RecoveryAction.Restart;

    // Recovery policy defaults (docs/restarts.md); each agent may override them through PUT /api/agents/{agent}/policy.

    /// <summary>Restarts allowed within <see cref="DefaultRestartWindowSeconds"/>; the next outage raises <c>restart.suppressed</c> instead.</summary>
    [Range(0, 1000)]
    public int DefaultMaxRestarts { get; set; } = 3;

    [Range(1, 604_800)]
    public int DefaultRestartWindowSeconds { get; set; } = 600;

    /// <summary>Pause before the second restart in a row; doubles with each further one.</summary>
    [Range(0, 86_400)]
    public int DefaultBackoffInitialSeconds { get; set; } = 10;

    [Range(0, 86_400)]
    public int DefaultBackoffMaxSeconds { get; set; } = 300;

    /// <summary>Healthy this long after a restart, an agent's next restart is immediate again.</summary>
    [Range(1, 604_800)]
    public int DefaultBackoffResetSeconds { get; set; } = 600;

    /// <summary>Time a restarted agent has for its first heartbeat before the restart counts as failed.</summary>
    [Range(1, 86_400)]
    public int DefaultStartupGraceSeconds { get; set; } = 120;

    /// <summary>Whether an agent that reported <c>status: fail</c> is restarted.</summary>
    public bool DefaultRestartOnFailureReport { get; set; } = true;

    /// <summary>Whether a container that exited with code 0 is restarted.</summary>
    public bool DefaultRestartOnCleanExit { get; set; } = true;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MinTimeoutSeconds > MaxTimeoutSeconds)
        {
            yield return new ValidationResult("Monitor:MinTimeoutSeconds must not exceed Monitor:MaxTimeoutSeconds.", [nameof(MinTimeoutSeconds)]);
        }
        if (DefaultTimeoutSeconds < MinTimeoutSeconds || DefaultTimeoutSeconds > MaxTimeoutSeconds)
        {
            yield return new ValidationResult("Monitor:DefaultTimeoutSeconds must lie between MinTimeoutSeconds and MaxTimeoutSeconds.", [nameof(DefaultTimeoutSeconds)]);
        }
        if (DefaultBackoffInitialSeconds > DefaultBackoffMaxSeconds)
        {
            yield return new ValidationResult("Monitor:DefaultBackoffInitialSeconds must not exceed Monitor:DefaultBackoffMaxSeconds.", [nameof(DefaultBackoffInitialSeconds)]);
        }
    }
}
