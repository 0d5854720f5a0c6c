using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Events;
using ServerlessMonitor.Json;

namespace ServerlessMonitor.Alerts;

/// <summary>
/// Reminders while an agent stays down (<c>Alerts:ReminderMinutes</c>, off by default): each outage schedules reminder 1;
/// when it is due, the agent is read again and only if it is still down in the same incident is the reminder sent
/// (as <c>agent.still_down</c>) and the next one scheduled. The sweeper knows nothing of this.
/// </summary>
public sealed partial class AlertReminders(
    AgentRepository agents,
    DeliveryRepository deliveries,
    IAlertWorkScheduler scheduler,
    IOptions<AlertOptions> options,
    TimeProvider time,
    ILogger<AlertReminders> logger)
{
    private readonly TimeSpan _interval = TimeSpan.FromMinutes(options.Value.ReminderMinutes);

    public bool Enabled => _interval > TimeSpan.Zero;

    /// <summary>Schedules the first reminder of the outage <paramref name="outage"/> announces.</summary>
    public Task ScheduleFirstAsync(MonitorEvent outage, CancellationToken cancellationToken) =>
        Enabled && outage is { Agent: { } agent, IncidentId: { } incident } && AlertEventTypes.IsOutage(outage.Type)
            ? ScheduleAsync(agent, incident, 1, outage.Time + _interval, cancellationToken)
            : Task.CompletedTask;

    /// <summary>The reminder a due <see cref="AlertWorkKind.Remind"/> item stands for, or null when the agent is no longer down in that incident.</summary>
    public async Task<MonitorEvent?> DueReminderAsync(AlertWork work, CancellationToken cancellationToken)
    {
        if (work is not { Agent: { } name, IncidentId: { } incident, Number: { } number })
        {
            return null;
        }
        var agent = await agents.GetAsync(name, cancellationToken).ConfigureAwait(false);
        if (agent is not { Status: AgentStatus.Down } || agent.IncidentId != incident)
        {
            LogOver(name, incident, number);
            return null;
        }
        return Build(agent, number, time.GetUtcNow());
    }

    /// <summary>Schedules the reminder after <paramref name="work"/>'s, unless a copy of this work did already.</summary>
    public Task ScheduleNextAsync(AlertWorkItem work, CancellationToken cancellationToken) =>
        work.Work is { Agent: { } agent, IncidentId: { } incident, Number: { } number }
            ? ScheduleAsync(agent, incident, number + 1, work.Time + _interval, cancellationToken)
            : Task.CompletedTask;

    public static MonitorEvent Build(AgentRecord agent, int number, DateTimeOffset now)
    {
        var incident = agent.IncidentId ?? throw new ArgumentException("The agent has no open incident.", nameof(agent));
        var since = agent.DownSince ?? agent.LastSeenAt;
        return new MonitorEvent
        {
            Id = EventIds.For(incident, $"{AlertEventTypes.AgentStillDown}#{number}"),
            Type = AlertEventTypes.AgentStillDown,
            Time = now,
            Agent = agent.Name,
            Host = agent.Host,
            Container = agent.Container,
            IncidentId = incident,
            Details = new EventDetails
            {
                Summary = $"Agent {agent.Name} is still down after {AgentEvents.FormatDuration(Math.Max(0, (now - since).TotalSeconds))} (reminder {number}).",
                LastHeartbeatAt = agent.LastHeartbeatAt,
                LastMessage = agent.LastMessage,
                LastStatus = agent.LastReportedStatus is { } status ? WireNames.Name(status) : null,
                TimeoutSeconds = agent.TimeoutSeconds,
                DownSince = since,
                RecoveryAction = WireNames.Name(agent.RecoveryAction),
            },
        };
    }

    /// <remarks>
    /// Scheduled first, recorded after: should recording fail, a repeat schedules a duplicate wake-up, which is harmless
    /// (the reminder's event id is fixed, so it is delivered once); the other order could lose the reminders for good.
    /// </remarks>
    private async Task ScheduleAsync(string agent, string incident, int number, DateTimeOffset due, CancellationToken cancellationToken)
    {
        if (await deliveries.GetRemindersScheduledAsync(incident, cancellationToken).ConfigureAwait(false) >= number)
        {
            return;
        }
        await scheduler.ScheduleAsync(AlertWorkItem.Create(new AlertWork { Kind = AlertWorkKind.Remind, Agent = agent, IncidentId = incident, Number = number }, due), cancellationToken).ConfigureAwait(false);
        await deliveries.SetRemindersScheduledAsync(incident, number, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Agent {Agent} is no longer down in incident {IncidentId}; reminder {Number} and later ones are dropped")]
    private partial void LogOver(string agent, string incidentId, int number);
}
