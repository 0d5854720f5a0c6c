using Azure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ServerlessMonitor.Events;
using ServerlessMonitor.Storage;

namespace ServerlessMonitor.Hosting;

/// <summary>
/// Creates the tables (and, with the queue transport, the queues) at start-up. If storage is not reachable yet the
/// host still starts, answers 503 meanwhile, and keeps trying in the background.
/// </summary>
internal sealed partial class StorageInitializer(IServiceProvider services, TimeProvider time, ILogger<StorageInitializer> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan FirstAttemptTimeout = TimeSpan.FromSeconds(15);

    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Waits for the first attempt, so that a healthy start is ready for traffic when the host says it started.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _ready.Task.WaitAsync(FirstAttemptTimeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Storage is slow to answer; the host starts anyway and the attempts go on.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await services.GetRequiredService<MonitorTables>().CreateAllAsync(stoppingToken).ConfigureAwait(false);
                if (services.GetService<EventQueues>() is { } queues)
                {
                    await queues.CreateAllAsync(stoppingToken).ConfigureAwait(false);
                }
                _ready.TrySetResult();
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException && !stoppingToken.IsCancellationRequested)
            {
                LogNotReady(e.GetType().Name, (e as RequestFailedException)?.Status);
                _ready.TrySetResult();
            }
            try
            {
                await Task.Delay(RetryDelay, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage is not reachable yet ({ExceptionType}, status {Status}); creating tables again in 5 s")]
    private partial void LogNotReady(string exceptionType, int? status);
}
