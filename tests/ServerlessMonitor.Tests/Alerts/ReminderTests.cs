using ServerlessMonitor.Agents;
using ServerlessMonitor.Alerts;
using ServerlessMonitor.Events;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Alerts;

/// <summary>While an agent stays down, its channels are reminded on a schedule; the reminders stop when the incident ends.</summary>
public sealed class ReminderTests : IAsyncLifetime
{
    private HttpReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await HttpReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private Task<AlertsHarness> HarnessAsync(string? reminderMinutes) => AlertsHarness.StartAsync(new Dictionary<string, string?>
    {
        ["Alerts:ReminderMinutes"] = reminderMinutes,
        ["Alerts:Channels:hook:Type"] = "webhook",
        ["Alerts:Channels:hook:Url"] = _receiver.Url("hook").ToString(),
        ["Alerts:Channels:hook:Events:0"] = EventTypes.AgentTimedOut,
    });

    [Fact]
    public async Task A_down_agent_is_reminded_every_interval_until_it_recovers()
    {
        await using var alerts = await HarnessAsync("10");
        var down = TestEvents.DownAgent("stuck-agent");
        var stored = await alerts.Agents.TryAddAsync(down, CancellationToken.None);
        var outage = AgentEvents.Outage(down, AlertsHarness.Start);

        await alerts.HandleAsync(outage);
        await alerts.HandleAsync(outage);

        var first = Assert.Single(alerts.Work.All);
        Assert.Equal((AlertWorkKind.Remind, 1, AlertsHarness.Start.AddMinutes(10)), (first.Work.Kind, first.Work.Number, first.Time));

        alerts.Time.Advance(TimeSpan.FromMinutes(10));
        await alerts.RunDueWorkAsync();

        var reminder = _receiver.Events(AlertEventTypes.AgentStillDown).Single().Event;
        Assert.Equal(outage.IncidentId, reminder.IncidentId);
        Assert.Equal("Agent stuck-agent is still down after 12 min 1 s (reminder 1).", reminder.Details.Summary);
        Assert.Equal("step 9 of 12", reminder.Details.LastMessage);
        Assert.Equal(AlertsHarness.Start.AddMinutes(20), alerts.Work.NextDue());

        alerts.Time.Advance(TimeSpan.FromMinutes(10));
        await alerts.RunDueWorkAsync();
        Assert.Equal(2, _receiver.Events(AlertEventTypes.AgentStillDown).Count);

        await alerts.Agents.TryReplaceAsync(AgentLifecycle.Recover(stored!), CancellationToken.None);
        await alerts.RunUntilIdleAsync(TimeSpan.FromHours(2));

        Assert.Equal(2, _receiver.Events(AlertEventTypes.AgentStillDown).Count);
        Assert.Null(alerts.Work.NextDue());
        Assert.Equal(3, alerts.Work.All.Count);
    }

    [Fact]
    public async Task Reminders_are_off_by_default()
    {
        await using var alerts = await HarnessAsync(null);

        await alerts.HandleAsync(TestEvents.Outage("quiet-agent"));

        Assert.Empty(alerts.Work.All);
        Assert.Single(_receiver.Requests);
    }
}
