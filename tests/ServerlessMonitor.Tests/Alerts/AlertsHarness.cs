using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Azure.Messaging.ServiceBus;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Alerts;
using ServerlessMonitor.Events;
using ServerlessMonitor.Heartbeats;
using ServerlessMonitor.Hosting;
using ServerlessMonitor.Http;
using ServerlessMonitor.Storage;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Alerts;

/// <summary>
/// The alerts side as the Functions app wires it (AddMonitorCore with the Service Bus transport), on real Azurite tables
/// under its own prefix, sending real HTTP to receivers on 127.0.0.1, with a fake clock. Service Bus is replaced at its
/// SDK seam: scheduled alerts work is recorded as the scheduled messages it becomes, and the test runs each when the
/// fake clock says it is due, through the same body round trip the transports use.
/// </summary>
public sealed class AlertsHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 12, 4, 2, 1, 34, TimeSpan.Zero);

    private readonly CoreHarness _core;

    private AlertsHarness(CoreHarness core, RecordingLoggerProvider logs)
    {
        _core = core;
        Logs = logs;
        Work = new RecordingWorkScheduler(core.Bus.Sender, core.Services.GetRequiredService<IAlertWorkScheduler>());
    }

    /// <summary>The table prefix: another harness given the same one sees the same stored state.</summary>
    public string Prefix => _core.Prefix;
    public FakeTimeProvider Time => _core.Time;
    public RecordingWorkScheduler Work { get; }
    public RecordingLoggerProvider Logs { get; }
    public IServiceProvider Services => _core.Services;
    public AlertDispatcher Dispatcher => Services.GetRequiredService<AlertDispatcher>();
    public DeliveryRepository Deliveries => Services.GetRequiredService<DeliveryRepository>();
    public AgentRepository Agents => _core.Agents;

    /// <param name="settings">Configuration keys, e.g. <c>Alerts:Channels:hook:Url</c>. Loopback receivers are allowed; grouping is off unless set.</param>
    public static async Task<AlertsHarness> StartAsync(IDictionary<string, string?> settings)
    {
        var config = new Dictionary<string, string?>
        {
            ["Alerts:AllowHttp"] = "true",
            ["Alerts:AllowedNetworks:0"] = "127.0.0.0/8",
            ["Alerts:GroupingSeconds"] = "0",
        };
        foreach (var (key, value) in settings)
        {
            config[key] = value;
        }
        var logs = new RecordingLoggerProvider();
        return new AlertsHarness(await CoreHarness.StartAsync(config, Start, logs), logs);
    }

    /// <summary>Hands an event to the alerts subscription as a transport would (message body included).</summary>
    public Task HandleAsync(MonitorEvent monitorEvent) =>
        Dispatcher.HandleMessageAsync(monitorEvent, BinaryData.FromBytes(EventSerializer.Serialize(monitorEvent)), CancellationToken.None);

    /// <summary>Runs the scheduled work that is due by the fake clock (and work that running it makes due); returns how many items ran.</summary>
    public async Task<int> RunDueWorkAsync()
    {
        var ran = 0;
        while (Work.TakeDue(Time.GetUtcNow()) is { Count: > 0 } due)
        {
            foreach (var item in due)
            {
                var body = BinaryData.FromBytes(item.Serialize());
                await Dispatcher.HandleMessageAsync(EventSerializer.Deserialize(body.ToMemory().Span), body, CancellationToken.None);
                ran++;
            }
        }
        return ran;
    }

    /// <summary>Moves the clock to each pending item's time in turn and runs it, until nothing is pending or <paramref name="limit"/> passed.</summary>
    public async Task RunUntilIdleAsync(TimeSpan limit)
    {
        var end = Time.GetUtcNow() + limit;
        while (Work.NextDue() is { } next && next <= end)
        {
            if (next > Time.GetUtcNow())
            {
                Time.SetUtcNow(next);
            }
            await RunDueWorkAsync();
        }
    }

    public async Task<DeliveriesView> ListDeliveriesAsync(string? status = null)
    {
        var response = await Services.GetRequiredService<DeliveriesApi>().ListAsync(status, null, CancellationToken.None);
        Assert.Equal(200, response.StatusCode);
        return Assert.IsType<DeliveriesView>(response.Body);
    }

    public async Task<DeliveryRecord> DeliveryAsync(string deliveryId, string channel) =>
        await Deliveries.GetAsync(deliveryId, channel, CancellationToken.None) ?? throw new InvalidOperationException($"No delivery {deliveryId} to {channel}.");

    public async ValueTask DisposeAsync()
    {
        await _core.DisposeAsync();
        Logs.Dispose();
    }
}

/// <summary>
/// The alerts work the real scheduler put on the (recorded) Service Bus topic, read back as work items; each is handed
/// out once by <see cref="TakeDue"/>, as the subscription would deliver it at its scheduled time.
/// </summary>
public sealed class RecordingWorkScheduler(RecordingSender sender, IAlertWorkScheduler scheduler)
{
    private readonly HashSet<int> _taken = [];

    /// <summary>Every work item scheduled so far, in order.</summary>
    public IReadOnlyList<AlertWorkItem> All => [.. Scheduled().Select(s => s.Item)];

    /// <summary>Schedules <paramref name="item"/> again through the real scheduler, as a repeated schedule would.</summary>
    public Task ScheduleAsync(AlertWorkItem item, CancellationToken cancellationToken) => scheduler.ScheduleAsync(item, cancellationToken);

    public List<AlertWorkItem> TakeDue(DateTimeOffset now)
    {
        lock (_taken)
        {
            var due = Pending().Where(s => s.Item.Time <= now).OrderBy(s => s.Item.Time).ToList();
            _taken.UnionWith(due.Select(s => s.Index));
            return [.. due.Select(s => s.Item)];
        }
    }

    public DateTimeOffset? NextDue()
    {
        lock (_taken)
        {
            var pending = Pending().ToList();
            return pending.Count == 0 ? null : pending.Min(s => s.Item.Time);
        }
    }

    private IEnumerable<(int Index, AlertWorkItem Item)> Pending() => Scheduled().Where(s => !_taken.Contains(s.Index));

    private IEnumerable<(int Index, AlertWorkItem Item)> Scheduled() =>
        sender.Sent
            .Select((message, index) => (Index: index, Message: message))
            .Where(m => m.Message.Subject == AlertWorkItem.MessageType)
            .Select(m => (m.Index, AlertWorkItem.Parse(m.Message.Body)));
}

/// <summary>Realistic events, built the way the sweeper and heartbeat path build them.</summary>
public static class TestEvents
{
    public static AgentRecord DownAgent(string agent, string? host = "docker-1", string? container = "agent-1", string? message = "step 9 of 12", DateTimeOffset? lastBeat = null, RecoveryAction action = RecoveryAction.Restart)
    {
        var beat = lastBeat ?? AlertsHarness.Start.AddSeconds(-121);
        var up = AgentLifecycle.Register(new Heartbeat { Agent = agent, Host = host, Container = container, Message = message }, beat, new MonitorOptions()) with { RecoveryAction = action };
        return AgentLifecycle.GoDown(up, IncidentReason.TimedOut, AgentLifecycle.IncidentIdFor(up), up.LastSeenAt);
    }

    public static MonitorEvent Outage(string agent, string? host = "docker-1", string? container = "agent-1", string? message = "step 9 of 12", RecoveryAction action = RecoveryAction.Restart) =>
        AgentEvents.Outage(DownAgent(agent, host, container, message, action: action), AlertsHarness.Start);

    public static MonitorEvent Recovery(string agent, double downtimeSeconds = 51) =>
        AgentEvents.Recovered(DownAgent(agent), AlertsHarness.Start.AddSeconds(-121 + downtimeSeconds));

    public static MonitorEvent Restart(string type, string agent, EventDetails? details = null) => new()
    {
        Id = EventIds.For($"{agent}-command", type),
        Type = type,
        Time = AlertsHarness.Start.AddSeconds(2),
        Agent = agent,
        Host = "docker-1",
        Container = "agent-1",
        IncidentId = DownAgent(agent).IncidentId,
        Details = details ?? new EventDetails { Summary = $"{type} for {agent}." },
    };

    public static JsonElement Json(this Support.ReceivedRequest request) => JsonDocument.Parse(request.Body).RootElement;

    /// <summary>Every string value in the JSON, decoded, one per line: what a reader of the message could see.</summary>
    public static string AllStrings(this JsonElement json) => json.ValueKind switch
    {
        JsonValueKind.Object => string.Join('\n', json.EnumerateObject().Select(p => p.Value.AllStrings())),
        JsonValueKind.Array => string.Join('\n', json.EnumerateArray().Select(AllStrings)),
        JsonValueKind.String => json.GetString()!,
        _ => "",
    };
}
