using System.ComponentModel.DataAnnotations;

namespace ServerlessMonitor.Restarts;

/// <summary>How restart commands travel to the restart agents. Section <c>Restarts</c>; see docs/restarts.md.</summary>
public sealed class RestartOptions : IValidatableObject
{
    public const string SectionName = "Restarts";

    /// <summary>A command nobody picked up (or finished) within this time fails with reason <c>host offline</c>.</summary>
    [Range(5, 86_400)]
    public int CommandTtlSeconds { get; set; } = 120;

    /// <summary>
    /// How long a polled command stays reserved for the restart agent that took it. If that agent dies mid-way the
    /// command is offered again after this; it must exceed the agent's stop timeout plus its Docker API timeout.
    /// </summary>
    [Range(1, 3_600)]
    public int LeaseSeconds { get; set; } = 60;

    /// <summary>A host whose restart agent missed this many polls (plus <see cref="HostOfflineMarginSeconds"/>) is offline.</summary>
    [Range(1, 100)]
    public int HostOfflineAfterPolls { get; set; } = 3;

    [Range(0, 3_600)]
    public int HostOfflineMarginSeconds { get; set; } = 10;

    /// <summary>The poll interval assumed for a restart agent that does not say.</summary>
    [Range(1, 3_600)]
    public int DefaultPollIntervalSeconds { get; set; } = 5;

    /// <summary>Commands handed out per poll.</summary>
    [Range(1, 100)]
    public int MaxCommandsPerPoll { get; set; } = 10;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (LeaseSeconds > CommandTtlSeconds)
        {
            yield return new ValidationResult("Restarts:LeaseSeconds must not exceed Restarts:CommandTtlSeconds.", [nameof(LeaseSeconds)]);
        }
    }
}
