using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ServerlessMonitor.RestartAgent;

/// <summary>
/// The restart agent's loop: report results the monitor has not confirmed yet, lease the host's commands, carry
/// each out at most once (the journal remembers), report the result; then wait for the poll interval.
/// Outbound requests only: the host needs no open port.
/// </summary>
public sealed partial class RestartAgentWorker(
    MonitorBackendClient backend,
    ContainerRestarter restarter,
    CommandJournal journal,
    IOptions<RestartAgentOptions> options,
    TimeProvider time,
    ILogger<RestartAgentWorker> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await journal.EnsureWritableAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            throw new InvalidOperationException(
                $"The restart agent cannot use its state file {journal.Path} ({e.Message}). Set RestartAgent:StateFile to a writable path " +
                "(systemd: StateDirectory=; container: a volume).", e);
        }
        var settings = options.Value;
        LogStarting(settings.HostId, settings.BackendUrl!, settings.PollIntervalSeconds, settings.AllowAllContainers);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.PollInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PollOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or BackendException or TaskCanceledException or System.Text.Json.JsonException or IOException)
            {
                // The monitor or the network is away: keep polling; commands wait (and expire) on the monitor's side.
                LogPollFailed(e.GetType().Name, e.Message);
            }
            try
            {
                await Task.Delay(interval, time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    internal async Task PollOnceAsync(CancellationToken cancellationToken)
    {
        foreach (var unreported in await journal.UnreportedAsync(cancellationToken).ConfigureAwait(false))
        {
            await ReportAsync(unreported.CommandId, unreported.Report!, cancellationToken).ConfigureAwait(false);
        }
        foreach (var command in await backend.LeaseCommandsAsync(cancellationToken).ConfigureAwait(false))
        {
            var report = await CarryOutAsync(command, cancellationToken).ConfigureAwait(false);
            try
            {
                await ReportAsync(command.Id, report, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpRequestException or BackendException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // The journal keeps the result; the next poll reports it. Meanwhile the other leased commands go on.
                LogReportFailed(command.Id, e.GetType().Name, e.Message);
            }
        }
    }

    private async Task<RestartReport> CarryOutAsync(HostCommand command, CancellationToken cancellationToken)
    {
        var known = await journal.GetAsync(command.Id, cancellationToken).ConfigureAwait(false);
        switch (known?.State)
        {
            case JournalState.Done or JournalState.Reported:
                // Carried out before; the monitor offers it again because our report did not arrive. Repeat the report, not the restart.
                LogRepeat(command.Id, command.Agent);
                return known.Report!;
            case JournalState.Started:
                var resumed = await restarter.ResumeAsync(command, known, cancellationToken).ConfigureAwait(false);
                await journal.MarkDoneAsync(command.Id, resumed, cancellationToken).ConfigureAwait(false);
                return resumed;
            default:
                LogExecuting(command.Id, command.Agent, command.Container, command.Attempt, command.Deliveries);
                var report = await restarter.ExecuteAsync(command, cancellationToken).ConfigureAwait(false);
                await journal.MarkDoneAsync(command.Id, report, cancellationToken).ConfigureAwait(false);
                return report;
        }
    }

    private async Task ReportAsync(string commandId, RestartReport report, CancellationToken cancellationToken)
    {
        var delivery = await backend.ReportAsync(commandId, report, cancellationToken).ConfigureAwait(false);
        if (delivery == ReportDelivery.Rejected)
        {
            LogRejected(commandId);
        }
        await journal.MarkReportedAsync(commandId, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Restart agent for host {HostId} polling {BackendUrl} every {PollIntervalSeconds} s (restart any container: {AllowAll})")]
    private partial void LogStarting(string hostId, Uri backendUrl, int pollIntervalSeconds, bool allowAll);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling the monitor failed ({ExceptionType}): {Message}; trying again at the next interval")]
    private partial void LogPollFailed(string exceptionType, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reporting the result of command {CommandId} failed ({ExceptionType}): {Message}; it is reported again at the next poll")]
    private partial void LogReportFailed(string commandId, string exceptionType, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "Command {CommandId}: restart agent {Agent} (container {Container}, attempt {Attempt}, delivery {Deliveries})")]
    private partial void LogExecuting(string commandId, string agent, string? container, int attempt, int deliveries);

    [LoggerMessage(Level = LogLevel.Information, Message = "Command {CommandId} for agent {Agent} was carried out before; repeating its report")]
    private partial void LogRepeat(string commandId, string agent);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The monitor no longer takes the result of command {CommandId} (unknown, expired or withdrawn); forgetting it")]
    private partial void LogRejected(string commandId);
}
