using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using ServerlessMonitor.Sweeping;

namespace ServerlessMonitor.Functions.Sweeping;

public sealed partial class SweepFunction(Sweeper sweeper, ILogger<SweepFunction> logger)
{
    /// <remarks>
    /// A past-due run (the app was stopped or scaled to zero) sweeps like any other: the sweeper itself notices the gap
    /// and gives agents a grace period instead of raising a storm of alerts.
    /// </remarks>
    [Function("Sweep")]
    public async Task Run([TimerTrigger("%SweepSchedule%")] TimerInfo timer, CancellationToken cancellationToken)
    {
        if (timer.IsPastDue)
        {
            LogPastDue(timer.ScheduleStatus?.Last);
        }
        await sweeper.SweepAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The sweep timer is past due (last run {LastRun:o})")]
    private partial void LogPastDue(DateTime? lastRun);
}
