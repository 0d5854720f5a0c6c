using System.ComponentModel.DataAnnotations;
using System.Net;

namespace ServerlessMonitor.RestartAgent;

/// <summary>
/// Section <c>RestartAgent</c> (environment: <c>RestartAgent__BackendUrl</c>, ...). Validated at start-up: a restart
/// agent that cannot work should stop at once with a clear message, not fail quietly at 02:00.
/// </summary>
public sealed class RestartAgentOptions : IValidatableObject
{
    public const string SectionName = "RestartAgent";

    /// <summary>The monitor's base URL, e.g. <c>https://func-monitor.azurewebsites.net/</c> (the routes are under <c>api/</c>).</summary>
    [Required(ErrorMessage = "RestartAgent:BackendUrl is required (the monitor's https:// base URL).")]
    public Uri? BackendUrl { get; set; }

    /// <summary>This Docker host's name, as agents report it in their heartbeats (<c>host</c>).</summary>
    [Required(ErrorMessage = "RestartAgent:HostId is required (the host name agents report in their heartbeats).")]
    [RegularExpression("^[A-Za-z0-9._-]{1,64}$", ErrorMessage = "RestartAgent:HostId must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'.")]
    public string HostId { get; set; } = "";

    /// <summary>The host key from <c>POST /api/hosts/{host}/keys</c>. Never logged.</summary>
    [Required(ErrorMessage = "RestartAgent:HostKey is required (create one with POST /api/hosts/{{host}}/keys).")]
    public string HostKey { get; set; } = "";

    [Range(1, 3600)]
    public int PollIntervalSeconds { get; set; } = 5;

    /// <summary>Restart any container that matches, not only those labelled <c>serverless-monitor.restart=true</c>.</summary>
    public bool AllowAllContainers { get; set; }

    /// <summary>How long a container gets to stop (SIGTERM) before it is killed during a restart.</summary>
    [Range(0, 600)]
    public int StopTimeoutSeconds { get; set; } = 10;

    /// <summary>Timeout of each Docker Engine API call; 0 means the stop timeout plus 30 s. Must exceed the stop timeout.</summary>
    [Range(0, 3600)]
    public int DockerApiTimeoutSeconds { get; set; }

    /// <summary>The Docker Engine endpoint; empty means <c>DOCKER_HOST</c>, else <c>unix:///var/run/docker.sock</c>.</summary>
    public string? DockerEndpoint { get; set; }

    /// <summary>Where the agent remembers the commands it executed, so a restarted agent never repeats one.</summary>
    [Required]
    public string StateFile { get; set; } = "/var/lib/serverless-monitor/restart-agent-commands.json";

    /// <summary>Log lines captured from a container before it is restarted.</summary>
    [Range(0, 1000)]
    public int LogTailLines { get; set; } = 50;

    /// <summary>Allow a plain-http backend URL, and only on a loopback address (local runs and tests).</summary>
    public bool AllowInsecureHttp { get; set; }

    [Range(1, 600)]
    public int HttpTimeoutSeconds { get; set; } = 30;

    public TimeSpan PollInterval => TimeSpan.FromSeconds(PollIntervalSeconds);

    public TimeSpan StopTimeout => TimeSpan.FromSeconds(StopTimeoutSeconds);

    public TimeSpan DockerApiTimeout => TimeSpan.FromSeconds(DockerApiTimeoutSeconds > 0 ? DockerApiTimeoutSeconds : StopTimeoutSeconds + 30);

    public Uri DockerEndpointUri => new(
        !string.IsNullOrWhiteSpace(DockerEndpoint) ? DockerEndpoint
        : Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } dockerHost ? dockerHost
        : "unix:///var/run/docker.sock");

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (BackendUrl is { } url)
        {
            if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
            {
                yield return new ValidationResult("RestartAgent:BackendUrl must be an absolute https:// URL.", [nameof(BackendUrl)]);
            }
            else if (url.Scheme == Uri.UriSchemeHttp && !(AllowInsecureHttp && IsLoopback(url)))
            {
                yield return new ValidationResult(
                    "RestartAgent:BackendUrl must use https://. Plain http is allowed only for a loopback address with RestartAgent:AllowInsecureHttp=true.",
                    [nameof(BackendUrl)]);
            }
        }
        if (DockerApiTimeoutSeconds > 0 && DockerApiTimeoutSeconds <= StopTimeoutSeconds)
        {
            yield return new ValidationResult("RestartAgent:DockerApiTimeoutSeconds must exceed RestartAgent:StopTimeoutSeconds, or a restart would time out while the container stops.",
                [nameof(DockerApiTimeoutSeconds)]);
        }
        if (!string.IsNullOrWhiteSpace(DockerEndpoint) && !Uri.TryCreate(DockerEndpoint, UriKind.Absolute, out _))
        {
            yield return new ValidationResult("RestartAgent:DockerEndpoint must be a URI such as unix:///var/run/docker.sock or tcp://127.0.0.1:2375.", [nameof(DockerEndpoint)]);
        }
        if (HostKey.Length is > 0 and < 16)
        {
            yield return new ValidationResult("RestartAgent:HostKey looks truncated; paste the whole key returned by POST /api/hosts/{host}/keys.", [nameof(HostKey)]);
        }
    }

    private static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
