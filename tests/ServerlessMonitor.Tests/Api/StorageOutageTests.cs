using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Api;

/// <summary>Pull the plug on storage: the API answers 503 problems (retry later), never 500, and health says so.</summary>
public sealed class StorageOutageTests : IAsyncLifetime, IDisposable
{
    private readonly RecordingLoggerProvider _logs = new();
    private MonitorHost _host = null!;

    public async Task InitializeAsync()
    {
        // A port nobody listens on: every storage call is refused.
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var deadPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var deadStorage = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
            $"TableEndpoint=http://127.0.0.1:{deadPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{deadPort}/devstoreaccount1;";
        _host = await MonitorHost.StartAsync(
            new Dictionary<string, string?> { ["MonitorStorage"] = deadStorage, ["Queues:MaxIdleDelay"] = "00:00:00.200" },
            services => services.AddSingleton<ILoggerProvider>(_logs));
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    public void Dispose() => _logs.Dispose();

    [Fact]
    public async Task Heartbeat_during_a_storage_outage_gets_503_with_retry_after()
    {
        var response = await _host.HeartbeatAsync(new { agent = "unlucky" });

        await HeartbeatApiTests.AssertProblemAsync(response, HttpStatusCode.ServiceUnavailable, "storage-unavailable");
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task Host_keeps_running_while_its_event_consumers_cannot_reach_storage()
    {
        await Eventually.TrueAsync(() => _logs.Count("Receiving from queue") >= 4, TimeSpan.FromSeconds(30), "the queue consumers to fail a few receives");

        Assert.False(_host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await _host.Client.GetAsync("api/health")).StatusCode);
    }

    [Fact]
    public async Task Health_reports_storage_unreachable_with_503()
    {
        var response = await _host.Client.GetAsync("api/health");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var health = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("unreachable", health.GetProperty("storage").GetString());
    }
}
