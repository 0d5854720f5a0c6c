using ServerlessMonitor.Events;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Alerts;

/// <summary>Channels are configured once and routed per agent, with a default route and per-channel event filters.</summary>
public sealed class RoutingTests : IAsyncLifetime
{
    private HttpReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await HttpReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private Task<AlertsHarness> HarnessAsync(params (string Key, string Value)[] routes)
    {
        var settings = new Dictionary<string, string?>();
        foreach (var name in new[] { "ops", "team", "oncall" })
        {
            settings[$"Alerts:Channels:{name}:Type"] = "webhook";
            settings[$"Alerts:Channels:{name}:Url"] = _receiver.Url(name).ToString();
        }
        foreach (var (key, value) in routes)
        {
            settings[key] = value;
        }
        return AlertsHarness.StartAsync(settings);
    }

    private string[] Reached(MonitorEvent monitorEvent) =>
        [.. _receiver.Requests.Where(r => r.Headers["webhook-id"] == monitorEvent.Id).Select(r => r.Path.TrimStart('/')).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task Without_routes_every_channel_gets_every_event()
    {
        await using var alerts = await HarnessAsync();
        var outage = TestEvents.Outage("anyone");

        await alerts.HandleAsync(outage);

        Assert.Equal(["oncall", "ops", "team"], Reached(outage));
    }

    [Fact]
    public async Task An_agent_route_replaces_the_default_route_and_monitor_wide_events_take_the_default()
    {
        await using var alerts = await HarnessAsync(
            ("Alerts:Routes:Default:0", "ops"),
            ("Alerts:Routes:Agents:payments-bot:0", "team, oncall"));
        var vip = TestEvents.Outage("payments-bot");
        var other = TestEvents.Outage("scraper");
        var gap = new MonitorEvent
        {
            Id = EventIds.For("gap@1", EventTypes.MonitorGap),
            Type = EventTypes.MonitorGap,
            Time = AlertsHarness.Start,
            Details = new EventDetails { Summary = "The monitor did not sweep for 5 min.", GapStartedAt = AlertsHarness.Start.AddMinutes(-5), AgentsGivenGrace = 2 },
        };

        await alerts.HandleAsync(vip);
        await alerts.HandleAsync(other);
        await alerts.HandleAsync(gap);

        Assert.Equal(["oncall", "team"], Reached(vip));
        Assert.Equal(["ops"], Reached(other));
        Assert.Equal(["ops"], Reached(gap));
    }

    [Fact]
    public async Task A_channel_event_filter_narrows_what_it_receives()
    {
        await using var alerts = await HarnessAsync(
            ("Alerts:Channels:oncall:Events:0", EventTypes.AgentTimedOut),
            ("Alerts:Channels:oncall:Events:1", EventTypes.AgentRecovered),
            ("Alerts:Channels:team:Events", "restart.failed,restart.suppressed"));
        var outage = TestEvents.Outage("filtered");
        var restartRequested = TestEvents.Restart(EventTypes.RestartRequested, "filtered");
        var restartFailed = TestEvents.Restart(EventTypes.RestartFailed, "filtered");

        await alerts.HandleAsync(outage);
        await alerts.HandleAsync(restartRequested);
        await alerts.HandleAsync(restartFailed);

        Assert.Equal(["oncall", "ops"], Reached(outage));
        Assert.Equal(["ops"], Reached(restartRequested));
        Assert.Equal(["ops", "team"], Reached(restartFailed));
    }
}
