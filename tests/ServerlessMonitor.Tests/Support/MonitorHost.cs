using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ServerlessMonitor.Standalone;
using ServerlessMonitor.Storage;

namespace ServerlessMonitor.Tests.Support;

/// <summary>
/// The standalone host, started for real on 127.0.0.1 (OS-chosen port) against the test Azurite with its own
/// table/queue prefix. Settings default to a fast sweep (every second) and allow 1-second timeouts.
/// </summary>
public sealed class MonitorHost : IAsyncDisposable
{
    public const string ApiKey = "test-key-0123456789abcdef";

    private readonly WebApplication _app;

    private MonitorHost(WebApplication app, Uri baseAddress, string prefix)
    {
        _app = app;
        BaseAddress = baseAddress;
        Prefix = prefix;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        Client.DefaultRequestHeaders.Add("x-functions-key", ApiKey);
    }

    public Uri BaseAddress { get; }
    public string Prefix { get; }

    /// <summary>A client that sends the API key.</summary>
    public HttpClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public MonitorTables Tables => Services.GetRequiredService<MonitorTables>();

    /// <param name="settings">Overrides and additions, in configuration-key form (<c>Alerts:Channels:hook:Url</c>).</param>
    public static async Task<MonitorHost> StartAsync(IDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var prefix = TestStorage.NewPrefix();
        var config = new Dictionary<string, string?>
        {
            ["MonitorStorage"] = TestStorage.ConnectionString,
            ["MonitorStorage:TablePrefix"] = prefix,
            ["Auth:ApiKeys:0"] = ApiKey,
            ["SweepSchedule"] = "* * * * * *",
            ["Monitor:MinTimeoutSeconds"] = "1",
            ["Alerts:AllowHttp"] = "true",
            // Test receivers listen on loopback, which alert requests may not reach by default (SSRF guard).
            ["Alerts:AllowedNetworks:0"] = "127.0.0.0/8",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        var app = StandaloneApp.Create([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(config);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            services?.Invoke(builder.Services);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new MonitorHost(app, new Uri(address + "/"), prefix);
    }

    public Task<HttpResponseMessage> HeartbeatAsync(object payload) => Client.PostAsJsonAsync("api/heartbeat", payload);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
