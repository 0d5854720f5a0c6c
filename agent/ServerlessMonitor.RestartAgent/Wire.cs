using System.Text.Json;
using System.Text.Json.Serialization;

namespace ServerlessMonitor.RestartAgent;

/// <summary>A restart command as <c>GET /api/hosts/{host}/commands</c> hands it out (leased to this agent until <see cref="LeaseExpiresAt"/>).</summary>
public sealed record HostCommand(
    string Id,
    string Agent,
    string? Container,
    string IncidentId,
    int Attempt,
    DateTimeOffset LeaseExpiresAt,
    DateTimeOffset ExpiresAt,
    bool SkipIfExitedCleanly,
    int Deliveries);

public sealed record HostCommandsResponse(string Host, HostCommand[] Commands);

[JsonConverter(typeof(JsonStringEnumConverter<RestartOutcome>))]
public enum RestartOutcome
{
    [JsonStringEnumMemberName("succeeded")]
    Succeeded,
    [JsonStringEnumMemberName("failed")]
    Failed,
    [JsonStringEnumMemberName("skipped")]
    Skipped,
}

/// <summary>The body of <c>POST /api/hosts/{host}/commands/{id}/result</c>: the outcome and the container as it was found.</summary>
public sealed record RestartReport
{
    public RestartOutcome Outcome { get; init; }
    public string? Reason { get; init; }
    public string? Error { get; init; }
    public string? ContainerId { get; init; }
    public string? ContainerName { get; init; }
    public DateTimeOffset? RestartedAt { get; init; }
    public int? ExitCode { get; init; }
    public bool? OomKilled { get; init; }
    public string? HealthStatus { get; init; }
    public string? HealthLog { get; init; }
    public string? LogTail { get; init; }
}

/// <summary>Reasons the restart agent gives, in the monitor's words.</summary>
public static class RestartReasons
{
    public const string NotOptedIn = "not opted in";
    public const string ContainerNotFound = "container not found";
    public const string Ambiguous = "ambiguous container";
    public const string ExitedCleanly = "exited cleanly";
    public const string DockerError = "docker error";
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(HostCommandsResponse))]
[JsonSerializable(typeof(RestartReport))]
[JsonSerializable(typeof(CommandJournal.JournalFile))]
internal sealed partial class AgentJsonContext : JsonSerializerContext;
