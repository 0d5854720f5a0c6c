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
    }
}
