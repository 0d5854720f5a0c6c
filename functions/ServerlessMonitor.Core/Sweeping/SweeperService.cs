using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ServerlessMonitor.Sweeping;

/// <summary>Runs the sweeper on <see cref="SweeperOptions.SweepSchedule"/> inside a long-running host (the Functions app uses a timer trigger instead).</summary>
public sealed partial class SweeperService(Sweeper sweeper, IOptions<SweeperOptions> options, TimeProvider time, ILogger<SweeperService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var schedule = options.Value.ParsedSchedule();
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            var next = new DateTimeOffset(schedule.GetNextOccurrence(now.UtcDateTime), TimeSpan.Zero);
            try
            {
                await Task.Delay(next - now, time, stoppingToken).ConfigureAwait(false);
                await sweeper.SweepAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A failed sweep is retried by the next one; nothing it did half-way is lost (see Sweeper).
                LogSweepFailed(e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Sweep failed; the next scheduled sweep tries again")]
    private partial void LogSweepFailed(Exception exception);
}
