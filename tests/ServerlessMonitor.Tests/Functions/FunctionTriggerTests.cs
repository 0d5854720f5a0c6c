using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Alerts;
using ServerlessMonitor.Events;
using ServerlessMonitor.Functions.Alerts;
using ServerlessMonitor.Functions.Health;
using ServerlessMonitor.Functions.Heartbeats;
using ServerlessMonitor.Functions.Restarts;
using ServerlessMonitor.Functions.Sweeping;
using ServerlessMonitor.Health;
using ServerlessMonitor.Heartbeats;
using ServerlessMonitor.Restarts;
using ServerlessMonitor.Sweeping;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Functions;

/// <summary>The Azure Functions trigger classes called directly, as the worker would, over the real core on Azurite.</summary>
public sealed class FunctionTriggerTests : IAsyncLifetime
{
    private CoreHarness _core = null!;

    public async Task InitializeAsync() => _core = await CoreHarness.StartAsync();

    public async Task DisposeAsync() => await _core.DisposeAsync();

    [Fact]
    public async Task Heartbeat_function_records_the_posted_heartbeat()
    {
        var function = new HeartbeatFunction(_core.Services.GetRequiredService<HeartbeatApi>());
        var context = Request("""{"agent":"fn-agent","host":"docker-9"}""");

        var result = await function.Run(context.Request, CancellationToken.None);

        var (status, body) = await ExecuteAsync(result, context);
        Assert.Equal(200, status);
        Assert.Equal("registered", body.GetProperty("outcome").GetString());
        Assert.Equal("docker-9", (await _core.AgentAsync("fn-agent")).Host);
    }

    [Fact]
    public async Task Heartbeat_function_answers_bad_json_with_a_problem()
    {
        var function = new HeartbeatFunction(_core.Services.GetRequiredService<HeartbeatApi>());
        var context = Request("{oops");

        var (status, body) = await ExecuteAsync(await function.Run(context.Request, CancellationToken.None), context);

        Assert.Equal(400, status);
        Assert.Equal("application/problem+json", context.Response.ContentType);
        Assert.EndsWith("/malformed-json", body.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Ping_function_takes_the_agent_from_the_route()
    {
        var function = new HeartbeatPingFunction(_core.Services.GetRequiredService<HeartbeatApi>());
        var context = Request("");
        context.Request.QueryString = new QueryString("?status=fail&message=disk%20full");

        var (status, _) = await ExecuteAsync(await function.Run(context.Request, "pinged-agent", CancellationToken.None), context);

        Assert.Equal(200, status);
        var agent = await _core.AgentAsync("pinged-agent");
        Assert.Equal(AgentStatus.Down, agent.Status);
        Assert.Equal("disk full", agent.LastMessage);
    }

    [Fact]
    public async Task Health_function_reports_storage_reachable()
    {
        var function = new HealthFunction(_core.Services.GetRequiredService<HealthApi>());
        var context = Request("");

        var (status, body) = await ExecuteAsync(await function.Run(context.Request, CancellationToken.None), context);

        Assert.Equal(200, status);
        Assert.Equal("healthy", body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Sweep_function_times_out_silent_agents_also_when_past_due()
    {
        await _core.BeatAsync("timer-agent");
        _core.Time.Advance(TimeSpan.FromSeconds(121));
        var function = new SweepFunction(_core.Sweeper, NullLogger<SweepFunction>.Instance);

        await function.Run(new TimerInfo { IsPastDue = true }, CancellationToken.None);

        Assert.Equal(EventTypes.AgentTimedOut, Assert.Single(_core.Published).Type);
    }

    [Fact]
    public async Task Restarts_function_writes_one_restart_command_however_often_the_message_arrives()
    {
        await _core.BeatAsync("restartable", host: "docker-3");
        _core.Time.Advance(TimeSpan.FromSeconds(121));
        await _core.Sweeper.SweepAsync(CancellationToken.None);
        // Restarts go only to hosts whose restart agent is polling (docs/restarts.md); this one just polled.
        await _core.Services.GetRequiredService<ServerlessMonitor.Hosts.HostRepository>().RecordPollAsync("docker-3", _core.Time.GetUtcNow(), 5, null, CancellationToken.None);
        var body = Encoding.UTF8.GetString(_core.Bus.Sender.Sent.Single().Body);
        var function = new RestartsFunction(_core.Services.GetRequiredService<RestartRequester>());

        await function.Run(body, CancellationToken.None);
        await function.Run(body, CancellationToken.None);

        var commands = _core.Tables.Commands.Query<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == "docker-3").ToList();
        var command = Assert.Single(commands);
        Assert.Equal("restartable", command.GetString("Agent"));
        // Announced under one id, so duplicate detection keeps a single restart.requested.
        Assert.Single(_core.PublishedOfType(EventTypes.RestartRequested).Select(e => e.Id).Distinct());
    }

    [Fact]
    public async Task Restarts_function_leaves_alert_only_agents_alone()
    {
        await _core.BeatAsync("batch-job", host: "docker-4");
        var agent = await _core.AgentAsync("batch-job");
        await _core.Agents.TryReplaceAsync(agent with { RecoveryAction = RecoveryAction.AlertOnly }, CancellationToken.None);
        _core.Time.Advance(TimeSpan.FromSeconds(121));
        await _core.Sweeper.SweepAsync(CancellationToken.None);
        var function = new RestartsFunction(_core.Services.GetRequiredService<RestartRequester>());

        await function.Run(Encoding.UTF8.GetString(_core.Bus.Sender.Sent.Single().Body), CancellationToken.None);

        Assert.Empty(_core.Tables.Commands.Query<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == "docker-4"));
        Assert.Empty(_core.PublishedOfType(EventTypes.RestartRequested));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"hello\":\"world\"}")]
    [InlineData("{\"version\":99,\"id\":\"x\",\"type\":\"agent.timed_out\",\"time\":\"2026-12-04T02:00:00Z\"}")]
    public async Task Service_bus_functions_refuse_messages_that_are_not_events(string body)
    {
        var alerts = new AlertsFunction(_core.Services.GetRequiredService<AlertDispatcher>());
        var restarts = new RestartsFunction(_core.Services.GetRequiredService<RestartRequester>());

        // Thrown, so Service Bus retries and then dead-letters the message for inspection instead of dropping it.
        await Assert.ThrowsAsync<InvalidEventException>(() => alerts.Run(body, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidEventException>(() => restarts.Run(body, CancellationToken.None));
    }

    private DefaultHttpContext Request(string body)
    {
        var context = new DefaultHttpContext { RequestServices = _core.Services };
        context.Request.Method = "POST";
        context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        context.Request.ContentLength = Encoding.UTF8.GetByteCount(body);
        context.Response.Body = new MemoryStream();
        return context;
    }

    private static async Task<(int Status, JsonElement Body)> ExecuteAsync(IActionResult result, DefaultHttpContext context)
    {
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));
        context.Response.Body.Position = 0;
        return (context.Response.StatusCode, await JsonSerializer.DeserializeAsync<JsonElement>(context.Response.Body));
    }
}
