using System.Net;
using Microsoft.AspNetCore.Http;
using ServerlessMonitor.Events;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Alerts;

/// <summary>
/// The standalone host on Azurite with every channel type configured against one real receiver: an agent times out and
/// each channel gets exactly one alert, then exactly one recovery; a flaky webhook is retried through the real queue.
/// </summary>
public sealed class AlertChannelsEndToEndTests : IAsyncLifetime
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static readonly string[] Channels = ["webhook", "slack", "teams", "discord", "telegram", "pagerduty"];

    private HttpReceiver _receiver = null!;
    private HttpReceiver _flaky = null!;
    private MonitorHost _host = null!;
    private int _flakyCalls;

    public async Task InitializeAsync()
    {
        _receiver = await HttpReceiver.StartAsync();
        _flaky = await HttpReceiver.StartAsync();
        _flaky.Respond = _ => Interlocked.Increment(ref _flakyCalls) <= 2 ? Results.StatusCode(503) : Results.Ok();
        var settings = new Dictionary<string, string?>
        {
            ["Alerts:GroupingSeconds"] = "1",
            ["Alerts:RetryDelays:0"] = "00:00:00.2",
            ["Alerts:Channels:webhook:Url"] = _receiver.Url("webhook").ToString(),
            ["Alerts:Channels:webhook:Secret"] = Secret,
            ["Alerts:Channels:slack:Url"] = _receiver.Url("slack").ToString(),
            ["Alerts:Channels:teams:Url"] = _receiver.Url("teams").ToString(),
            ["Alerts:Channels:discord:Url"] = _receiver.Url("discord").ToString(),
            ["Alerts:Channels:telegram:BotToken"] = "42:e2e-token",
            ["Alerts:Channels:telegram:ChatId"] = "4242",
            ["Alerts:Channels:telegram:ApiBaseUrl"] = _receiver.Url("telegram/").ToString(),
            ["Alerts:Channels:pagerduty:RoutingKey"] = "e2e-routing-key",
            ["Alerts:Channels:pagerduty:ApiBaseUrl"] = _receiver.Url("pagerduty/").ToString(),
            ["Alerts:Channels:flaky:Type"] = "webhook",
            ["Alerts:Channels:flaky:Url"] = _flaky.Url("hook").ToString(),
            ["Alerts:Channels:flaky:Secret"] = Secret,
        };
        foreach (var channel in Channels)
        {
            settings[$"Alerts:Channels:{channel}:Type"] = channel;
            // Restart events are another story (docs/restarts.md): this test counts outages and recoveries.
            settings[$"Alerts:Channels:{channel}:Events"] = "agent.timed_out,agent.recovered";
        }
        settings["Alerts:Channels:flaky:Events"] = "agent.timed_out";
        _host = await MonitorHost.StartAsync(settings);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _receiver.DisposeAsync();
        await _flaky.DisposeAsync();
    }

    private int Count(string channel) => _receiver.Requests.Count(r => r.Path.StartsWith("/" + channel, StringComparison.Ordinal));

    [Fact]
    public async Task A_timed_out_agent_reaches_every_channel_once_and_so_does_its_recovery()
    {
        var beat = await _host.HeartbeatAsync(new { agent = "e2e-alerts", host = "docker-7", container = "worker-7", timeoutSeconds = 2, intervalSeconds = 1, message = "epoch 3" });
        Assert.Equal(HttpStatusCode.OK, beat.StatusCode);

        await Eventually.TrueAsync(() => Channels.All(c => Count(c) >= 1), TimeSpan.FromSeconds(10), "the outage at every channel");
        var webhook = _receiver.Requests.Single(r => r.Path == "/webhook");
        Assert.True(StandardWebhookVerifier.Verify(webhook, Secret));
        var outage = EventSerializer.Deserialize(webhook.Body);
        Assert.Equal((EventTypes.AgentTimedOut, "epoch 3"), (outage.Type, outage.Details.LastMessage));
        Assert.Contains("e2e-alerts is down", _receiver.Requests.Single(r => r.Path == "/slack").Json().AllStrings(), StringComparison.Ordinal);
        Assert.Contains("epoch 3", _receiver.Requests.Single(r => r.Path.StartsWith("/telegram", StringComparison.Ordinal)).Json().AllStrings(), StringComparison.Ordinal);
        Assert.Equal("trigger", _receiver.Requests.Single(r => r.Path == "/pagerduty/v2/enqueue").Json().GetProperty("event_action").GetString());

        // The flaky webhook fails twice and is retried through the alerts queue: one success, one webhook-id.
        await Eventually.TrueAsync(() => _flaky.Requests.Count >= 3, TimeSpan.FromSeconds(15), "the flaky webhook's third attempt");
        Assert.All(_flaky.Requests, r => Assert.Equal(outage.Id, r.Headers["webhook-id"]));

        var back = await _host.HeartbeatAsync(new { agent = "e2e-alerts" });
        Assert.Equal(HttpStatusCode.OK, back.StatusCode);
        await Eventually.TrueAsync(() => Channels.All(c => Count(c) >= 2), TimeSpan.FromSeconds(10), "the recovery at every channel");

        Assert.All(Channels, c => Assert.Equal(2, Count(c)));
        var recovery = EventSerializer.Deserialize(_receiver.Requests.Last(r => r.Path == "/webhook").Body);
        Assert.Equal((EventTypes.AgentRecovered, outage.IncidentId), (recovery.Type, recovery.IncidentId));
        var resolve = _receiver.Requests.Last(r => r.Path == "/pagerduty/v2/enqueue").Json();
        Assert.Equal(("resolve", outage.IncidentId), (resolve.GetProperty("event_action").GetString(), resolve.GetProperty("dedup_key").GetString()));
        Assert.Equal(3, _flaky.Requests.Count);
    }
}
