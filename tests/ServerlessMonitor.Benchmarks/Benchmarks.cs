using System.Diagnostics;
using System.Globalization;
using Azure.Core;
using Azure.Data.Tables;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using ServerlessMonitor.Events;
using ServerlessMonitor.Heartbeats;
using ServerlessMonitor.Hosting;
using ServerlessMonitor.Storage;
using ServerlessMonitor.Sweeping;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Benchmarks;

/// <summary>
/// Measures, against the storage emulator: registration and steady-state heartbeat throughput with their storage
/// round trips and allocations, and what a sweep costs as the number of registered agents grows while the number
/// of due agents stays fixed. Prints figures; asserts nothing.
/// </summary>
internal static class Benchmarks
{
    private const int Writers = 32;
    private const int DueAgents = 100;

    public static async Task RunAsync(int registered)
    {
        Console.WriteLine($"ServerlessMonitor benchmarks: {registered:N0} registered agents, {Writers} parallel writers, {Environment.ProcessorCount} cores");
        Console.WriteLine();

        await using var small = await Setup.StartAsync();
        await using var large = await Setup.StartAsync();

        var names = Enumerable.Range(0, registered).Select(i => $"bench-{i:D6}").ToArray();
        await Measure("register (first heartbeat)", large, names);
        large.Time.Advance(TimeSpan.FromSeconds(30));
        await Measure("steady heartbeat", large, names);

        // The same number of due agents among 1/10 as many registered ones.
        await small.BeatAllAsync(names.Take(registered / 10).ToArray());
        foreach (var setup in new[] { small, large })
        {
            await setup.BeatAllAsync(Enumerable.Range(0, DueAgents).Select(i => $"due-{i:D4}").ToArray(), timeoutSeconds: 10);
        }
        Console.WriteLine();
        Console.WriteLine($"sweep with {DueAgents} due agents:");
        await SweepAsync(small, registered / 10 + DueAgents);
        await SweepAsync(large, registered + DueAgents);
    }

    private static async Task Measure(string what, Setup setup, string[] names)
    {
        setup.Requests.Reset();
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var watch = Stopwatch.StartNew();
        await setup.BeatAllAsync(names);
        watch.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{what,-28} {names.Length / watch.Elapsed.TotalSeconds,8:N0}/s   {(double)setup.Requests.Count / names.Length,5:N2} storage requests each   {allocated / names.Length / 1024.0,6:N1} KB allocated each"));
    }

    private static async Task SweepAsync(Setup setup, int registered)
    {
        // Sweep every 10 s up to the due agents' deadline, so nothing counts as a monitor gap.
        await setup.Sweeper.SweepAsync(CancellationToken.None);
        setup.Time.Advance(TimeSpan.FromSeconds(10.5));
        setup.Requests.Reset();
        var watch = Stopwatch.StartNew();
        var report = await setup.Sweeper.SweepAsync(CancellationToken.None);
        watch.Stop();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {registered,8:N0} registered: {report.Due,4} due, {report.TimedOut,4} timed out, {setup.Requests.Count,5} storage requests, {watch.Elapsed.TotalMilliseconds,7:N0} ms"));
    }

    private sealed class Setup : IAsyncDisposable
    {
        private readonly ServiceProvider _services;

        private Setup(ServiceProvider services, FakeTimeProvider time, CountingPolicy requests)
        {
            _services = services;
            Time = time;
            Requests = requests;
        }

        public FakeTimeProvider Time { get; }
        public CountingPolicy Requests { get; }
        public Sweeper Sweeper => _services.GetRequiredService<Sweeper>();
        private HeartbeatService Heartbeats => _services.GetRequiredService<HeartbeatService>();

        public static async Task<Setup> StartAsync()
        {
            var connection = Environment.GetEnvironmentVariable("SERVERLESSMONITOR_TEST_STORAGE")
                ?? throw new InvalidOperationException("SERVERLESSMONITOR_TEST_STORAGE is not set; run scripts/bench.sh.");
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["MonitorStorage"] = connection,
                ["MonitorStorage:TablePrefix"] = "bench" + Guid.NewGuid().ToString("N")[..10],
            }).Build();
            var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
            var requests = new CountingPolicy();
            var services = new ServiceCollection();
            services.AddLogging(b => b.SetMinimumLevel(LogLevel.Error).AddConsole());
            services.AddSingleton<TimeProvider>(time);
            // The real local event transport (Storage queues): a sweep's cost includes announcing what it found.
            services.AddMonitorCore(configuration).AddEventTransport(configuration);
            services.AddSingleton(_ =>
            {
                var options = new TableClientOptions();
                options.AddPolicy(requests, HttpPipelinePosition.PerCall);
                return new TableServiceClient(connection, options);
            });
            var provider = services.BuildServiceProvider();
            await provider.GetRequiredService<MonitorTables>().CreateAllAsync(CancellationToken.None);
            await provider.GetRequiredService<EventQueues>().CreateAllAsync(CancellationToken.None);
            return new Setup(provider, time, requests);
        }

        public Task BeatAllAsync(string[] names, int? timeoutSeconds = null) =>
            Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = Writers }, async (name, ct) =>
                await Heartbeats.RecordAsync(new Heartbeat { Agent = name, TimeoutSeconds = timeoutSeconds }, ct));

        public ValueTask DisposeAsync() => _services.DisposeAsync();
    }
}
