using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Events;
using ServerlessMonitor.Incidents;
using ServerlessMonitor.Json;
using ServerlessMonitor.Restarts;
using ServerlessMonitor.Sweeping;

namespace ServerlessMonitor.Heartbeats;

[JsonConverter(typeof(KebabCaseEnumConverter<HeartbeatOutcome>))]
public enum HeartbeatOutcome
{
    Registered,
    Recorded,
    Recovered,
    Failed,
}

public sealed record HeartbeatResult(HeartbeatOutcome Outcome, AgentRecord Agent);

/// <summary>
/// Records heartbeats. A steady heartbeat is a single ETag-guarded write of the agent row (the ETag comes from the
/// process cache); anything else that changed the row meanwhile makes that write fail, and the heartbeat is re-read
/// and re-decided. Outage events are published before the row changes, under ids derived from the incident, so a
/// failure part-way is repaired by the agent's next heartbeat and never loses or doubles an event.
/// </summary>
public sealed partial class HeartbeatService(
    AgentRepository agents,
    AgentCache cache,
    DeadlineIndex index,
    IncidentRepository incidents,
    IEventPublisher publisher,
    RestartLoop restarts,
    TimeProvider time,
    IOptions<MonitorOptions> options,
    ILogger<HeartbeatService> logger)
{
    private const int MaxAttempts = 5;

    public async Task<HeartbeatResult> RecordAsync(Heartbeat heartbeat, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var now = time.GetUtcNow();
            var current = cache.Get(heartbeat.Agent) ?? await agents.GetAsync(heartbeat.Agent, cancellationToken).ConfigureAwait(false);
            var result = current is null
                ? await RegisterAsync(heartbeat, now, cancellationToken).ConfigureAwait(false)
                : await ApplyAsync(current, heartbeat, now, cancellationToken).ConfigureAwait(false);
            if (result is not null)
            {
                cache.Set(result.Agent);
                return result;
            }
            cache.Forget(heartbeat.Agent);
        }
        throw new ConcurrencyException($"Agent {heartbeat.Agent} changed {MaxAttempts} times while its heartbeat was being recorded.");
    }

    private async Task<HeartbeatResult?> RegisterAsync(Heartbeat heartbeat, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var registered = AgentLifecycle.Register(heartbeat, now, options.Value);
        if (heartbeat.Status == ReportedStatus.Fail)
        {
            var failed = AgentLifecycle.GoDown(registered, IncidentReason.Failed, AgentLifecycle.IncidentIdFor(registered), now);
            await AnnounceFailureAsync(failed, now, cancellationToken).ConfigureAwait(false);
            var added = await agents.TryAddAsync(failed, cancellationToken).ConfigureAwait(false);
            return added is null ? null : new HeartbeatResult(HeartbeatOutcome.Failed, added);
        }

        // Index first: an index entry without its row is dropped by the sweeper, a row without an entry would never be swept.
        await index.SetAsync(registered.Name, registered.Deadline, cancellationToken).ConfigureAwait(false);
        var stored = await agents.TryAddAsync(registered, cancellationToken).ConfigureAwait(false);
        if (stored is not null)
        {
            LogRegistered(stored.Name, stored.Host, stored.TimeoutSeconds);
        }
        return stored is null ? null : new HeartbeatResult(HeartbeatOutcome.Registered, stored);
    }

    private async Task<HeartbeatResult?> ApplyAsync(AgentRecord current, Heartbeat heartbeat, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (next, finishedDay) = AgentLifecycle.Beat(current, heartbeat, now);
        var outcome = HeartbeatOutcome.Recorded;

        if (current.Status == AgentStatus.Down && heartbeat.Status != ReportedStatus.Fail)
        {
            next = AgentLifecycle.Recover(next);
            var recovered = AgentEvents.Recovered(current, now);
            await publisher.PublishAsync(recovered, cancellationToken).ConfigureAwait(false);
            // Closes a restart's loop (restart.succeeded) or withdraws a restart nobody started yet; no I/O for agents never restarted.
            next = await restarts.OnRecoveryAsync(current, next, now, cancellationToken).ConfigureAwait(false);
            await incidents.CloseAsync(current.Name, current.IncidentId!, now, recovered.Details.DowntimeSeconds ?? 0, cancellationToken).ConfigureAwait(false);
            await index.SetAsync(next.Name, next.Deadline, cancellationToken).ConfigureAwait(false);
            outcome = HeartbeatOutcome.Recovered;
        }
        else if (current.Status is AgentStatus.Up or AgentStatus.New && heartbeat.Status == ReportedStatus.Fail)
        {
            next = AgentLifecycle.GoDown(next, IncidentReason.Failed, AgentLifecycle.IncidentIdFor(current), now);
            await AnnounceFailureAsync(next, now, cancellationToken).ConfigureAwait(false);
            outcome = HeartbeatOutcome.Failed;
        }
        else if (current.Status == AgentStatus.New)
        {
            next = next with { Status = AgentStatus.Up };
        }

        if (finishedDay is not null)
        {
            await agents.SaveDailyUsageAsync(current.Name, finishedDay.Day, finishedDay.Tokens, finishedDay.CostUsd, cancellationToken).ConfigureAwait(false);
        }

        var stored = await agents.TryReplaceAsync(next, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return null;
        }
        if (outcome == HeartbeatOutcome.Recovered)
        {
            LogRecovered(stored.Name, stored.Host, current.IncidentId!);
        }
        return new HeartbeatResult(outcome, stored);
    }

    private async Task AnnounceFailureAsync(AgentRecord failed, DateTimeOffset now, CancellationToken cancellationToken)
    {
        LogFailed(failed.Name, failed.Host, failed.IncidentId!);
        await incidents.OpenAsync(Sweeper.IncidentFor(failed), cancellationToken).ConfigureAwait(false);
        await publisher.PublishAsync(AgentEvents.Outage(failed, now), cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {Agent} on host {Host} registered with a {TimeoutSeconds} s timeout")]
    private partial void LogRegistered(string agent, string? host, int timeoutSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {Agent} on host {Host} recovered; incident {IncidentId} closed")]
    private partial void LogRecovered(string agent, string? host, string incidentId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Agent {Agent} on host {Host} reported a failure; incident {IncidentId} opened")]
    private partial void LogFailed(string agent, string? host, string incidentId);
}

/// <summary>A state change kept losing optimistic-concurrency races; the caller may retry later.</summary>
public sealed class ConcurrencyException(string message) : Exception(message);
