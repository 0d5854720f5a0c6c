using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Events;
using ServerlessMonitor.Incidents;
using ServerlessMonitor.Restarts;
using ServerlessMonitor.Storage;

namespace ServerlessMonitor.Sweeping;

public sealed record SweepReport(int Due, int TimedOut, int Announced, int Rearmed, int Removed, int GivenGrace, int Contended, int Failed, bool GapDetected);

/// <summary>
/// Finds agents whose deadline passed, marks them down and announces the outage. Safe to run concurrently with
/// itself and with heartbeats: every transition is ETag-guarded, the incident id follows from the outage, and an index
/// entry is removed only after its outage is announced, so a crash between the two announces again (same event id)
/// rather than never.
/// </summary>
public sealed partial class Sweeper(
    MonitorTables tables,
    AgentRepository agents,
    DeadlineIndex index,
    IncidentRepository incidents,
    IEventPublisher publisher,
    RestartLoop restarts,
    TimeProvider time,
    IOptions<SweeperOptions> options,
    ILogger<Sweeper> logger)
{
    private const string StatePartition = "sweeper";
    private const string StateRow = "state";
    private const int AttemptsPerEntry = 3;

    private enum Outcome { TimedOut, Announced, Rearmed, Removed, GivenGrace, Contended, Failed, RestartChecked }

    public async Task<SweepReport> SweepAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var settings = options.Value;
        var lastSweep = await GetLastSweepAsync(cancellationToken).ConfigureAwait(false);
        var gapStartedAt = lastSweep is { } last && now - last > settings.GapThresholdIntervals * settings.LongestInterval(last) ? last : (DateTimeOffset?)null;

        var due = new List<DeadlineEntry>();
        for (var shard = 0; shard < DeadlineIndex.ShardCount && due.Count < settings.MaxEntriesPerSweep; shard++)
        {
            await foreach (var entry in index.QueryDueAsync(shard, now, cancellationToken).ConfigureAwait(false))
            {
                due.Add(entry);
                if (due.Count >= settings.MaxEntriesPerSweep)
                {
                    break;
                }
            }
        }

        var outcomes = new ConcurrentBag<Outcome>();
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = settings.Parallelism, CancellationToken = cancellationToken },
            async (entry, ct) => outcomes.Add(await ProcessSafelyAsync(entry, now, gapStartedAt, ct).ConfigureAwait(false))).ConfigureAwait(false);

        var report = new SweepReport(
            due.Count,
            outcomes.Count(o => o == Outcome.TimedOut),
            outcomes.Count(o => o == Outcome.Announced),
            outcomes.Count(o => o == Outcome.Rearmed),
            outcomes.Count(o => o == Outcome.Removed),
            outcomes.Count(o => o == Outcome.GivenGrace),
            outcomes.Count(o => o == Outcome.Contended),
            outcomes.Count(o => o == Outcome.Failed),
            gapStartedAt is not null);

        if (gapStartedAt is { } gapStart)
        {
            LogGap(gapStart, now, report.GivenGrace);
            // Only a gap that changed someone's fate is news; one that passed unnoticed stays in the log.
            if (report.GivenGrace > 0)
            {
                await publisher.PublishAsync(GapEvent(gapStart, now, report.GivenGrace), cancellationToken).ConfigureAwait(false);
            }
        }
        await SaveLastSweepAsync(now, cancellationToken).ConfigureAwait(false);
        if (report.Due > 0)
        {
            LogSwept(report.Due, report.TimedOut, report.Announced, report.Rearmed, report.GivenGrace, report.Failed);
        }
        return report;
    }

    private async Task<Outcome> ProcessSafelyAsync(DeadlineEntry entry, DateTimeOffset now, DateTimeOffset? gapStartedAt, CancellationToken cancellationToken)
    {
        try
        {
            return await ProcessAsync(entry, now, gapStartedAt, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RequestFailedException or Azure.Messaging.ServiceBus.ServiceBusException or TimeoutException or HttpRequestException)
        {
            // The entry stays in the index, so the next sweep takes it up again.
            LogEntryFailed(e, entry.Agent);
            return Outcome.Failed;
        }
    }

    private async Task<Outcome> ProcessAsync(DeadlineEntry entry, DateTimeOffset now, DateTimeOffset? gapStartedAt, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < AttemptsPerEntry; attempt++)
        {
            var agent = await agents.GetAsync(entry.Agent, cancellationToken).ConfigureAwait(false);
            switch (agent?.Status)
            {
                case null or AgentStatus.Paused:
                    await index.RemoveAsync(entry, cancellationToken).ConfigureAwait(false);
                    return Outcome.Removed;

                // A restart loop is under way: its entry brings the agent back at the loop's next check (backoff over,
                // command expiry, start-up grace over); the outage itself was announced before the loop began.
                case AgentStatus.Down when agent.Restart.CheckAt is { } checkAt:
                    if (checkAt > now)
                    {
                        await index.MoveAsync(entry, checkAt, cancellationToken).ConfigureAwait(false);
                        return Outcome.Rearmed;
                    }
                    var checkedAgent = await restarts.CheckAsync(agent, now, cancellationToken).ConfigureAwait(false);
                    if (checkedAgent is null)
                    {
                        continue;
                    }
                    if (checkedAgent.Restart.CheckAt is { } nextCheck)
                    {
                        await index.MoveAsync(entry, nextCheck, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await index.RemoveAsync(entry, cancellationToken).ConfigureAwait(false);
                    }
                    return Outcome.RestartChecked;

                case AgentStatus.Down:
                    await AnnounceAsync(agent, now, cancellationToken).ConfigureAwait(false);
                    await index.RemoveAsync(entry, cancellationToken).ConfigureAwait(false);
                    return Outcome.Announced;

                case AgentStatus.Up or AgentStatus.New when agent.Deadline > now:
                    await index.MoveAsync(entry, agent.Deadline, cancellationToken).ConfigureAwait(false);
                    return Outcome.Rearmed;

                case AgentStatus.Up or AgentStatus.New when gapStartedAt is { } gapStart && agent.Deadline > gapStart:
                    var graced = await agents.TryReplaceAsync(agent with { Deadline = now.AddSeconds(agent.TimeoutSeconds) }, cancellationToken).ConfigureAwait(false);
                    if (graced is null)
                    {
                        continue;
                    }
                    await index.MoveAsync(entry, graced.Deadline, cancellationToken).ConfigureAwait(false);
                    LogGrace(agent.Name, graced.Deadline);
                    return Outcome.GivenGrace;

                default:
                    var incidentId = AgentLifecycle.IncidentIdFor(agent);
                    var down = await agents.TryReplaceAsync(AgentLifecycle.GoDown(agent, IncidentReason.TimedOut, incidentId, agent.LastSeenAt), cancellationToken).ConfigureAwait(false);
                    if (down is null)
                    {
                        continue;
                    }
                    LogTimedOut(agent.Name, agent.Host, incidentId, agent.LastSeenAt);
                    await AnnounceAsync(down, now, cancellationToken).ConfigureAwait(false);
                    await index.RemoveAsync(entry, cancellationToken).ConfigureAwait(false);
                    return Outcome.TimedOut;
            }
        }
        return Outcome.Contended;
    }

    /// <summary>Records the incident and publishes its event; both are idempotent, so announcing twice is harmless.</summary>
    private async Task AnnounceAsync(AgentRecord down, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await incidents.OpenAsync(IncidentFor(down), cancellationToken).ConfigureAwait(false);
        await publisher.PublishAsync(AgentEvents.Outage(down, now), cancellationToken).ConfigureAwait(false);
    }

    internal static IncidentRecord IncidentFor(AgentRecord down) => new()
    {
        Id = down.IncidentId!,
        Agent = down.Name,
        Reason = down.IncidentReason ?? IncidentReason.TimedOut,
        DownSince = down.DownSince ?? down.LastSeenAt,
        // Deterministic, so a repeated announcement writes the same row.
        OpenedAt = down.IncidentReason == IncidentReason.Failed ? down.DownSince ?? down.LastSeenAt : down.Deadline,
        Host = down.Host,
        Container = down.Container,
        LastMessage = down.LastMessage,
    };

    private static MonitorEvent GapEvent(DateTimeOffset gapStart, DateTimeOffset now, int givenGrace) => new()
    {
        Id = EventIds.For("gap@" + gapStart.ToUnixTimeMilliseconds(), EventTypes.MonitorGap),
        Type = EventTypes.MonitorGap,
        Time = now,
        Details = new EventDetails
        {
            Summary = $"The monitor did not sweep for {AgentEvents.FormatDuration((now - gapStart).TotalSeconds)}; {givenGrace} agent(s) whose deadline passed meanwhile got a fresh grace period instead of an alert.",
            GapStartedAt = gapStart,
            AgentsGivenGrace = givenGrace,
        },
    };

    private async Task<DateTimeOffset?> GetLastSweepAsync(CancellationToken cancellationToken)
    {
        var state = await tables.Sweeper.GetEntityIfExistsAsync<TableEntity>(StatePartition, StateRow, ["LastSweepAt"], cancellationToken).ConfigureAwait(false);
        return state.HasValue ? state.Value!.GetDateTimeOffset("LastSweepAt") : null;
    }

    private async Task SaveLastSweepAsync(DateTimeOffset now, CancellationToken cancellationToken) =>
        await tables.Sweeper.UpsertEntityAsync(new TableEntity(StatePartition, StateRow) { ["LastSweepAt"] = now }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {Agent} on host {Host} timed out (last seen {LastSeenAt:o}); incident {IncidentId} opened")]
    private partial void LogTimedOut(string agent, string? host, string incidentId, DateTimeOffset lastSeenAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The monitor did not sweep between {GapStart:o} and {Now:o}; {GivenGrace} agent(s) given a fresh grace period")]
    private partial void LogGap(DateTimeOffset gapStart, DateTimeOffset now, int givenGrace);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {Agent} missed its deadline during a monitor gap; new deadline {Deadline:o}")]
    private partial void LogGrace(string agent, DateTimeOffset deadline);

    [LoggerMessage(Level = LogLevel.Information, Message = "Sweep: {Due} due, {TimedOut} timed out, {Announced} re-announced, {Rearmed} re-armed, {GivenGrace} given grace, {Failed} failed")]
    private partial void LogSwept(int due, int timedOut, int announced, int rearmed, int givenGrace, int failed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping agent {Agent} failed; it is retried on the next sweep")]
    private partial void LogEntryFailed(Exception exception, string agent);
}
