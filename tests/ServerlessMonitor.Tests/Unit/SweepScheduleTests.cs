using System.ComponentModel.DataAnnotations;
using ServerlessMonitor.Sweeping;

namespace ServerlessMonitor.Tests.Unit;

public sealed class SweepScheduleTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 2, 0, 3, TimeSpan.Zero);

    [Theory]
    [InlineData("*/10 * * * * *", 10)]
    [InlineData("* * * * * *", 1)]
    [InlineData("0 */5 * * * *", 300)]
    [InlineData("0,30 * * * * *", 30)]
    public void Gap_yardstick_is_the_longest_interval_of_the_schedule(string schedule, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), new SweeperOptions { SweepSchedule = schedule }.LongestInterval(Now));
    }

    [Theory]
    [InlineData("*/10 * * * *")]
    [InlineData("every ten seconds")]
    [InlineData("")]
    public void Schedule_that_is_not_six_field_ncrontab_is_refused_at_start_up(string schedule)
    {
        var options = new SweeperOptions { SweepSchedule = schedule };
        var errors = new List<ValidationResult>();

        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true));
        Assert.Contains(errors, e => e.MemberNames.Contains(nameof(SweeperOptions.SweepSchedule)));
    }
}
