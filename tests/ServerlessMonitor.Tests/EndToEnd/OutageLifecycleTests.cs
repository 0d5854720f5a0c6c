using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ServerlessMonitor.Events;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.EndToEnd;

/// <summary>
/// The seed story over real HTTP: the standalone host on Azurite, a real webhook receiver on 127.0.0.1. An agent beats,
/// goes silent, the webhook gets <c>agent.timed_out</c> within timeout + sweep interval + 2 s; it beats again and the
/// webhook gets <c>agent.recovered</c> with the downtime.
/// </summary>
public sealed class OutageLifecycleTests : IAsyncLifetime
{
    private const int TimeoutSeconds = 2;
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    private HttpReceiver _webhook = null!;
    private MonitorHost _host = null!;

    public async Task InitializeAsync()
    {
        _webhook = await HttpReceiver.StartAsync();
        _host = await MonitorHost.StartAsync(new Dictionary<string, string?>
        {
            ["Alerts:Channels:ops:Type"] = "webhook",
            ["Alerts:Channels:ops:Url"] = _webhook.Url("hooks/monitor").ToString(),
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _webhook.DisposeAsync();
    }

    [Fact]
    public async Task Silent_agent_is_reported_down_within_its_timeout_and_back_up_with_its_downtime()
    {
        for (var beat = 0; beat < 3; beat++)
        {
            var response = await _host.HeartbeatAsync(new { agent = "e2e-agent", host = "docker-1", container = "agent-1", timeoutSeconds = TimeoutSeconds, intervalSeconds = 1, message = $"beat {beat}" });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        var lastBeat = DateTimeOffset.UtcNow;

        var timedOut = await Eventually.GetAsync(() => Task.FromResult(_webhook.FirstEvent(EventTypes.AgentTimedOut)),
            TimeSpan.FromSeconds(TimeoutSeconds) + SweepInterval + TimeSpan.FromSeconds(2), "agent.timed_out at the webhook");
        Assert.Equal("e2e-agent", timedOut.Event.Agent);
        Assert.Equal("docker-1", timedOut.Event.Host);
        Assert.Equal("agent-1", timedOut.Event.Container);
        Assert.Equal("beat 2", timedOut.Event.Details.LastMessage);
        Assert.NotNull(timedOut.Event.IncidentId);
        Assert.InRange(timedOut.Request.ReceivedAt - lastBeat, TimeSpan.FromSeconds(TimeoutSeconds) - TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(TimeoutSeconds) + SweepInterval + TimeSpan.FromSeconds(2));

        var agent = await _host.Client.GetFromJsonAsync<JsonElement>("api/agents/e2e-agent");
        Assert.Equal("down", agent.GetProperty("status").GetString());

        var resumed = await _host.HeartbeatAsync(new { agent = "e2e-agent" });
        var resumedBody = await resumed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("recovered", resumedBody.GetProperty("outcome").GetString());
        Assert.Equal("up", resumedBody.GetProperty("status").GetString());

        var recovered = await Eventually.GetAsync(() => Task.FromResult(_webhook.FirstEvent(EventTypes.AgentRecovered)), TimeSpan.FromSeconds(5), "agent.recovered at the webhook");
        Assert.Equal(timedOut.Event.IncidentId, recovered.Event.IncidentId);
        var downtime = recovered.Event.Details.DowntimeSeconds!.Value;
        Assert.InRange(downtime, TimeoutSeconds, (DateTimeOffset.UtcNow - lastBeat).TotalSeconds + 0.5);

        // One outage, one alert of each kind, however many sweeps ran meanwhile.
        Assert.Single(_webhook.Events(EventTypes.AgentTimedOut));
        Assert.Single(_webhook.Events(EventTypes.AgentRecovered));
    }
}
