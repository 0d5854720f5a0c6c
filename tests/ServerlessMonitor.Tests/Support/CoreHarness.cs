using Azure.Core;
using Azure.Data.Tables;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Events;
using ServerlessMonitor.Heartbeats;
using ServerlessMonitor.Hosting;
using ServerlessMonitor.Storage;
using ServerlessMonitor.Sweeping;

namespace ServerlessMonitor.Tests.Support;

/// <summary>
/// The core services as the Functions app wires them, on real Azurite tables (own prefix), with a fake clock and
/// Service Bus replaced at the SDK seam. Storage requests are counted.
/// </summary>
public sealed class CoreHarness : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    private CoreHarness(ServiceProvider services, string prefix, FakeTimeProvider time, RecordingServiceBusClient bus, CountingPolicy storageRequests)
    {
        _services = services;
        Prefix = prefix;
        Time = time;
        Bus = bus;
        StorageRequests = storageRequests;
    }

    /// <summary>The table prefix: another harness given the same one (setting <c>MonitorStorage:TablePrefix</c>) sees the same stored state.</summary>
    public string Prefix { get; }
    public FakeTimeProvider Time { get; }
    public RecordingServiceBusClient Bus { get; }
    public CountingPolicy StorageRequests { get; }
    public IServiceProvider Services => _services;

    public HeartbeatService Heartbeats => _services.GetRequiredService<HeartbeatService>();
    public Sweeper Sweeper => _services.GetRequiredService<Sweeper>();
    public AgentRepository Agents => _services.GetRequiredService<AgentRepository>();
    public MonitorTables Tables => _services.GetRequiredService<MonitorTables>();
    public DeadlineIndex Index => _services.GetRequiredService<DeadlineIndex>();

    /// <summary>Events published so far, decoded from the Service Bus messages.</summary>
    public List<MonitorEvent> Published => [.. Bus.Sender.Sent
        .Where(m => m.Subject != ServerlessMonitor.Alerts.AlertWorkItem.MessageType)
        .Select(m => EventSerializer.Deserialize(m.Body.ToArray()))];

    public List<MonitorEvent> PublishedOfType(string type) => [.. Published.Where(e => e.Type == type)];

    /// <param name="logs">Receives every log message (any level) when given; otherwise only warnings are logged, nowhere.</param>
    public static async Task<CoreHarness> StartAsync(IDictionary<string, string?>? settings = null, DateTimeOffset? start = null, RecordingLoggerProvider? logs = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["MonitorStorage"] = TestStorage.ConnectionString,
            ["MonitorStorage:TablePrefix"] = TestStorage.NewPrefix(),
            ["ServiceBusConnection:fullyQualifiedNamespace"] = "test.servicebus.windows.net",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(config).Build();

        var time = new FakeTimeProvider(start ?? new DateTimeOffset(2026, 12, 4, 2, 0, 0, TimeSpan.Zero));
        var bus = new RecordingServiceBusClient();
        var counting = new CountingPolicy();

        var services = new ServiceCollection();
        services.AddLogging(b =>
        {
            b.SetMinimumLevel(logs is null ? LogLevel.Warning : LogLevel.Debug);
            if (logs is not null)
            {
                b.AddProvider(logs);
            }
        });
        services.AddSingleton<TimeProvider>(time);
        services.AddMonitorCore(configuration).AddServiceBusEventPublisher(configuration);
        services.AddSingleton<ServiceBusClient>(bus);
        services.AddSingleton(_ =>
        {
            var options = new TableClientOptions();
            options.AddPolicy(counting, HttpPipelinePosition.PerCall);
            return new TableServiceClient(TestStorage.ConnectionString, options);
        });
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        await provider.GetRequiredService<MonitorTables>().CreateAllAsync(CancellationToken.None);
        return new CoreHarness(provider, config["MonitorStorage:TablePrefix"]!, time, bus, counting);
    }

    public Task<HeartbeatResult> BeatAsync(string agent, ReportedStatus status = ReportedStatus.Ok, int? timeoutSeconds = null, string? message = null, string? host = null) =>
        Heartbeats.RecordAsync(new Heartbeat { Agent = agent, Status = status, TimeoutSeconds = timeoutSeconds, Message = message, Host = host }, CancellationToken.None);

    public async Task<AgentRecord> AgentAsync(string name) =>
        await Agents.GetAsync(name, CancellationToken.None) ?? throw new InvalidOperationException($"Agent {name} is not stored.");

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
