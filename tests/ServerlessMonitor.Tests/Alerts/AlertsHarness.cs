using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
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
/// The alerts side as the hosts wire it (AddMonitorCore), on real Azurite tables under its own prefix, sending real HTTP
/// to receivers on 127.0.0.1, with a fake clock. Scheduled alerts work is recorded instead of queued; the test runs it
/// when the fake clock says it is due, through the same body round trip the transports use.
/// </summary>
public sealed class AlertsHarness : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 12, 4, 2, 1, 34, TimeSpan.Zero);

    private readonly ServiceProvider _services;

    private AlertsHarness(ServiceProvider services, FakeTimeProvider time, RecordingWorkScheduler work, CapturedLogs logs, string prefix)
    {
        _services = services;
        Prefix = prefix;
        Time = time;
        Work = work;
        Logs = logs;
    }

    /// <summary>The table prefix: another harness given the same one sees the same stored state.</summary>
    public string Prefix { get; }
    public FakeTimeProvider Time { get; }
    public RecordingWorkScheduler Work { get; }
    public CapturedLogs Logs { get; }
    public IServiceProvider Services => _services;
    public AlertDispatcher Dispatcher => _services.GetRequiredService<AlertDispatcher>();
    public DeliveryRepository Deliveries => _services.GetRequiredService<DeliveryRepository>();
    public AgentRepository Agents => _services.GetRequiredService<AgentRepository>();

    /// <param name="settings">Configuration keys, e.g. <c>Alerts:Channels:hook:Url</c>. Loopback receivers are allowed; grouping is off unless set.</param>
    public static async Task<AlertsHarness> StartAsync(IDictionary<string, string?> settings)
    {
        var config = new Dictionary<string, string?>
        {
            ["MonitorStorage"] = TestStorage.ConnectionString,
            ["MonitorStorage:TablePrefix"] = TestStorage.NewPrefix(),
            ["Alerts:AllowHttp"] = "true",
            ["Alerts:AllowedNetworks:0"] = "127.0.0.0/8",
            ["Alerts:GroupingSeconds"] = "0",
        };
        foreach (var (key, value) in settings)
        {
            config[key] = value;
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(config).Build();

        var time = new FakeTimeProvider(Start);
        var work = new RecordingWorkScheduler();
        var logs = new CapturedLogs();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        services.AddSingleton<TimeProvider>(time);
        services.AddMonitorCore(configuration);
        services.AddSingleton<IAlertWorkScheduler>(work);
        services.AddSingleton<IEventPublisher, NoPublisher>();
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        await provider.GetRequiredService<MonitorTables>().CreateAllAsync(CancellationToken.None);
        return new AlertsHarness(provider, time, work, logs, config["MonitorStorage:TablePrefix"]!);
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
        var response = await _services.GetRequiredService<DeliveriesApi>().ListAsync(status, null, CancellationToken.None);
        Assert.Equal(200, response.StatusCode);
        return Assert.IsType<DeliveriesView>(response.Body);
    }

    public async Task<DeliveryRecord> DeliveryAsync(string deliveryId, string channel) =>
        await Deliveries.GetAsync(deliveryId, channel, CancellationToken.None) ?? throw new InvalidOperationException($"No delivery {deliveryId} to {channel}.");

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    private sealed class NoPublisher : IEventPublisher
    {
        public Task PublishAsync(MonitorEvent monitorEvent, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}

/// <summary>Records alerts work instead of queueing it.</summary>
public sealed class RecordingWorkScheduler : IAlertWorkScheduler
{
    private readonly ConcurrentQueue<AlertWorkItem> _all = new();
    private readonly List<AlertWorkItem> _pending = [];

    public IReadOnlyList<AlertWorkItem> All => [.. _all];

    public Task ScheduleAsync(AlertWorkItem item, CancellationToken cancellationToken)
    {
        _all.Enqueue(item);
        lock (_pending)
        {
            _pending.Add(item);
        }
        return Task.CompletedTask;
    }

    public List<AlertWorkItem> TakeDue(DateTimeOffset now)
    {
        lock (_pending)
        {
            var due = _pending.Where(i => i.Time <= now).OrderBy(i => i.Time).ToList();
            _pending.RemoveAll(due.Contains);
            return due;
        }
    }

    public DateTimeOffset? NextDue()
    {
        lock (_pending)
        {
            return _pending.Count == 0 ? null : _pending.Min(i => i.Time);
        }
    }
}

/// <summary>Every log line the harness wrote, formatted, with exceptions: to prove no secret ever reaches a log.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
    }
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
