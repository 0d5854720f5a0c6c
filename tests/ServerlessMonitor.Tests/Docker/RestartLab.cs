using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ServerlessMonitor.Events;
using ServerlessMonitor.RestartAgent;
using ServerlessMonitor.Tests.Support;
using Xunit.Abstractions;

namespace ServerlessMonitor.Tests.Docker;

/// <summary>
/// One Docker host's worth of the restart story, all real: the standalone monitor on Azurite (sweep every second),
/// a webhook receiver that collects the events, a host key from the admin API, test agent containers on the Docker
/// engine of <c>DOCKER_HOST</c>, and the restart agent running in-process against both. Everything it creates
/// (containers, the image, state files) is removed on dispose.
/// </summary>
internal sealed class RestartLab : IAsyncDisposable
{
    /// <summary>The agents' heartbeat timeout: short, so an outage shows within seconds.</summary>
    public const int AgentTimeoutSeconds = 2;
    public const int PollIntervalSeconds = 1;

    private readonly List<string> _containers = [];
    private readonly List<IHost> _restartAgents = [];
    private readonly ITestOutputHelper _output;

    private RestartLab(ITestOutputHelper output, HttpReceiver webhook, MonitorHost monitor, DockerClient docker, string image, string hostId, string hostKey, string stateDirectory)
    {
        _output = output;
        Webhook = webhook;
        Monitor = monitor;
        Docker = docker;
        Image = image;
        HostId = hostId;
        HostKey = hostKey;
        StateDirectory = stateDirectory;
    }

    public HttpReceiver Webhook { get; }
    public MonitorHost Monitor { get; }
    public DockerClient Docker { get; }
    public string Image { get; }
    public string HostId { get; }
    public string HostKey { get; }
    public string StateDirectory { get; }
    public string StateFile => Path.Combine(StateDirectory, "commands.json");

    /// <summary>Monitor settings of the Docker tests: fast policy defaults so a restart loop plays out in seconds.</summary>
    public static Dictionary<string, string?> FastSettings(Uri webhook) => new()
    {
        // The events are watched through a webhook channel, as the alerts subscription delivers them.
        ["Alerts:Channels:lab:Type"] = "webhook",
        ["Alerts:Channels:lab:Url"] = webhook.ToString(),
        ["Alerts:AllowPrivateNetworks"] = "true",
        ["Alerts:GroupingSeconds"] = "0",
        ["Monitor:DefaultStartupGraceSeconds"] = "5",
        ["Monitor:DefaultBackoffInitialSeconds"] = "1",
        ["Monitor:DefaultBackoffMaxSeconds"] = "4",
        ["Restarts:CommandTtlSeconds"] = "30",
        ["Restarts:LeaseSeconds"] = "8",
        ["Queues:MaxIdleDelay"] = "00:00:00.250",
    };

    public static async Task<RestartLab> StartAsync(ITestOutputHelper output, IDictionary<string, string?>? settings = null)
    {
        var docker = await DockerEngine.ConnectAsync();
        var suffix = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 8);
        var image = $"serverless-monitor-test-agent:{suffix}";
        await TestAgentImage.BuildAsync(docker, image);

        var webhook = await HttpReceiver.StartAsync();
        var config = FastSettings(webhook.Url("hooks/lab"));
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }
        var monitor = await MonitorHost.StartAsync(config);

        var hostId = "docker-" + suffix;
        var created = await monitor.Client.PostAsync($"api/hosts/{hostId}/keys", null);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var hostKey = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;

        var state = Path.Combine(Path.GetTempPath(), "sm-restart-agent-" + suffix);
        return new RestartLab(output, webhook, monitor, docker, image, hostId, hostKey, state);
    }

    /// <summary>Starts a restart agent in-process (the real hosted worker) for this host; it shares the lab's state file unless told otherwise.</summary>
    public async Task<IHost> StartRestartAgentAsync(int stopTimeoutSeconds = 1, string? stateFile = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["RestartAgent:BackendUrl"] = Monitor.BaseAddress.ToString(),
            ["RestartAgent:AllowInsecureHttp"] = "true",
            ["RestartAgent:HostId"] = HostId,
            ["RestartAgent:HostKey"] = HostKey,
            ["RestartAgent:PollIntervalSeconds"] = PollIntervalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RestartAgent:StopTimeoutSeconds"] = stopTimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RestartAgent:DockerEndpoint"] = DockerEngine.Endpoint.ToString(),
            ["RestartAgent:StateFile"] = stateFile ?? StateFile,
        });
        builder.Logging.AddProvider(new TestOutputLoggerProvider(_output, "restart-agent"));
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        builder.Services.AddRestartAgent(builder.Configuration);
        var host = builder.Build();
        _restartAgents.Add(host);
        await host.StartAsync();
        return host;
    }

    /// <summary>Runs a test agent container (<c>--network host</c>) whose first life behaves as <paramref name="behaviour"/> after <paramref name="beats"/> heartbeats.</summary>
    public async Task<string> RunAgentContainerAsync(string agent, string behaviour, bool optIn = true, int beats = 3, bool ignoreTerm = false)
    {
        var name = agent;
        var labels = new Dictionary<string, string> { [ContainerRestarter.AgentLabel] = agent };
        if (optIn)
        {
            labels[ContainerRestarter.OptInLabel] = "true";
        }
        var created = await Docker.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Image = Image,
            Name = name,
            Cmd = ["/bin/sh", "/agent.sh"],
            Env =
            [
                $"MONITOR_URL={Monitor.BaseAddress.ToString().TrimEnd('/')}",
                $"API_KEY={MonitorHost.ApiKey}",
                $"AGENT={agent}",
                $"HOST_ID={HostId}",
                $"CONTAINER={name}",
                $"TIMEOUT={AgentTimeoutSeconds}",
                $"BEATS={beats}",
                $"BEHAVIOUR={behaviour}",
                $"IGNORE_TERM={(ignoreTerm ? 1 : 0)}",
            ],
            Labels = labels,
            HostConfig = new HostConfig { NetworkMode = "host" },
        });
        _containers.Add(created.ID);
        await Docker.Containers.StartContainerAsync(created.ID, new ContainerStartParameters());
        return created.ID;
    }

    /// <summary>How often the container's script started: its "boot N of" log lines (the json-file log survives restarts).</summary>
    public async Task<int> BootsAsync(string container) =>
        (await LogsAsync(container)).Split('\n').Count(line => line.StartsWith("boot ", StringComparison.Ordinal) && line.Contains(" of ", StringComparison.Ordinal));

    public async Task<string> LogsAsync(string container)
    {
        using var stream = await Docker.Containers.GetContainerLogsAsync(container, tty: false, new ContainerLogsParameters { ShowStdout = true, ShowStderr = true });
        var (stdout, stderr) = await stream.ReadOutputToEndAsync(CancellationToken.None);
        return stdout + stderr;
    }

    public List<MonitorEvent> Events(string type, string agent) =>
        [.. Webhook.Events(type).Select(e => e.Event).Where(e => e.Agent == agent)];

    public Task<MonitorEvent> EventAsync(string type, string agent, TimeSpan within) =>
        Eventually.GetAsync(() => Task.FromResult(Events(type, agent).FirstOrDefault()), within, $"{type} for {agent} at the webhook");

    /// <summary>Waits until the agent's first heartbeat registered it.</summary>
    public Task WaitRegisteredAsync(string agent) =>
        Eventually.TrueAsync(async () => (await Monitor.Client.GetAsync($"api/agents/{agent}")).StatusCode == HttpStatusCode.OK,
            TimeSpan.FromSeconds(20), $"agent {agent} to register");

    public async Task PutPolicyAsync(string agent, object policy)
    {
        var response = await Monitor.Client.PutAsJsonAsync($"api/agents/{agent}/policy", policy);
        Assert.True(response.IsSuccessStatusCode, $"PUT policy answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    public void Print(string line)
    {
        try
        {
            _output.WriteLine(line);
        }
        catch (InvalidOperationException)
        {
            // The test is over; nobody reads this any more.
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _restartAgents)
        {
            try
            {
                using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await agent.StopAsync(stopping.Token);
            }
            catch (OperationCanceledException)
            {
            }
            agent.Dispose();
        }
        foreach (var container in _containers)
        {
            try
            {
                // The container's own story, for whoever reads a failed test's output.
                Print($"--- logs of container {container[..12]} ---\n{await LogsAsync(container)}");
                await Docker.Containers.RemoveContainerAsync(container, new ContainerRemoveParameters { Force = true });
            }
            catch (DockerContainerNotFoundException)
            {
            }
        }
        try
        {
            await Docker.Images.DeleteImageAsync(Image, new ImageDeleteParameters { Force = true });
        }
        catch (DockerImageNotFoundException)
        {
        }
        Docker.Dispose();
        await Monitor.DisposeAsync();
        await Webhook.DisposeAsync();
        if (Directory.Exists(StateDirectory))
        {
            Directory.Delete(StateDirectory, recursive: true);
        }
    }
}

/// <summary>Sends an in-process host's log lines to the test output, which is shown when a test fails.</summary>
internal sealed class TestOutputLoggerProvider(ITestOutputHelper output, string prefix) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(output, prefix, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

    public void Dispose()
    {
    }

    private sealed class Logger(ITestOutputHelper output, string prefix, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var line = new StringBuilder().Append(DateTimeOffset.UtcNow.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture))
                .Append(' ').Append(prefix).Append(' ').Append(category).Append(": ").Append(formatter(state, exception));
            if (exception is not null)
            {
                line.Append(" | ").Append(exception.GetType().Name).Append(": ").Append(exception.Message);
            }
            try
            {
                output.WriteLine(line.ToString());
            }
            catch (InvalidOperationException)
            {
                // Logged after the test finished.
            }
        }
    }
}
