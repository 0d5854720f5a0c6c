using System.ComponentModel.DataAnnotations;
using NCrontab;

namespace ServerlessMonitor.Sweeping;

/// <summary>
/// When and how the sweeper runs. <see cref="SweepSchedule"/> is a top-level setting because the Functions timer
/// trigger reads it as <c>%SweepSchedule%</c>; the rest is section <c>Sweeper</c>.
/// </summary>
public sealed class SweeperOptions : IValidatableObject
{
    /// <summary>Six-field NCRONTAB (with seconds). Default: every 10 seconds.</summary>
    [Required]
    public string SweepSchedule { get; set; } = "*/10 * * * * *";

    /// <summary>A pause longer than this many sweep intervals is an outage of the monitor itself (see <c>monitor.gap</c>).</summary>
    [Range(2, 1000)]
    public int GapThresholdIntervals { get; set; } = 3;

    /// <summary>The most index entries one sweep takes on; the rest wait for the next sweep.</summary>
    [Range(1, 1_000_000)]
    public int MaxEntriesPerSweep { get; set; } = 20_000;

    [Range(1, 256)]
    public int Parallelism { get; set; } = 32;

    public CrontabSchedule ParsedSchedule() =>
        CrontabSchedule.Parse(SweepSchedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true });

    /// <summary>The longest gap between two scheduled sweeps in the next day: the yardstick for a gap in sweeping.</summary>
    public TimeSpan LongestInterval(DateTimeOffset now)
    {
        var schedule = ParsedSchedule();
        var previous = schedule.GetNextOccurrence(now.UtcDateTime);
        var longest = TimeSpan.Zero;
        var samples = 0;
        foreach (var next in schedule.GetNextOccurrences(previous, now.UtcDateTime.AddDays(1)))
        {
            if (next == previous)
            {
                continue;
            }
            longest = next - previous > longest ? next - previous : longest;
            previous = next;
            if (++samples >= 1000)
            {
                break;
            }
        }
        return longest == TimeSpan.Zero ? TimeSpan.FromDays(1) : longest;
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (CrontabSchedule.TryParse(SweepSchedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true }) is null)
        {
            yield return new ValidationResult(
                $"SweepSchedule '{SweepSchedule}' is not a six-field NCRONTAB expression (second minute hour day month weekday), e.g. '*/10 * * * * *'.",
                [nameof(SweepSchedule)]);
        }
    }
}
