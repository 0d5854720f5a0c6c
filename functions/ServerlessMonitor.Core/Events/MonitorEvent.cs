using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;

namespace ServerlessMonitor.Events;

/// <summary>
/// The one event contract of the monitor, as published on the event topic and delivered to webhooks.
/// <see cref="Id"/> is derived from what the event is about, so a republish carries the same id and is dropped by
/// Service Bus duplicate detection or by the handlers' own idempotency.
/// </summary>
public sealed record MonitorEvent
{
    public const int CurrentVersion = 1;

    public int Version { get; init; } = CurrentVersion;
    public required string Id { get; init; }
    public required string Type { get; init; }
    public required DateTimeOffset Time { get; init; }
    public string? Agent { get; init; }
    public string? Host { get; init; }
    public string? Container { get; init; }
    public string? IncidentId { get; init; }
    public EventDetails Details { get; init; } = new();
}

/// <summary>What an event knows beyond its subject; only the fields that apply to its type are present.</summary>
public sealed record EventDetails
{
    /// <summary>Human-readable summary of what happened.</summary>
    public string? Summary { get; init; }
    public DateTimeOffset? LastHeartbeatAt { get; init; }
    public string? LastMessage { get; init; }
    public string? LastStatus { get; init; }
    public DateTimeOffset? Deadline { get; init; }
    public int? TimeoutSeconds { get; init; }
    public DateTimeOffset? DownSince { get; init; }
    public DateTimeOffset? RecoveredAt { get; init; }
    public double? DowntimeSeconds { get; init; }
    public string? RecoveryAction { get; init; }

    /// <summary>For <c>monitor.gap</c>: when the sweeper last ran before the gap, and how many agents got a fresh grace period.</summary>
    public DateTimeOffset? GapStartedAt { get; init; }
    public int? AgentsGivenGrace { get; init; }

    /// <summary>For restart events: the command that carries the restart.</summary>
    public string? CommandId { get; init; }

    /// <summary>For restart events: the how-manieth restart of this incident it is (1 = first).</summary>
    public int? Attempt { get; init; }
    /// <summary>For restart events: restarts of this agent within its policy's restart window, this one included.</summary>
    public int? RestartsInWindow { get; init; }
    /// <summary>Why a restart was suppressed or failed, in a few words (<c>host offline</c>, <c>restart budget exhausted</c>, <c>not opted in</c>, ...).</summary>
    public string? Reason { get; init; }
    /// <summary>For <c>restart.failed</c>: what the restart agent or the Docker engine said.</summary>
    public string? Error { get; init; }
    /// <summary>When the restart agent restarted the container.</summary>
    public DateTimeOffset? RestartedAt { get; init; }
    /// <summary>When the agent's Docker host is offline: its host incident (<c>{host}@{last poll}</c>), shared by all its agents' events meanwhile.</summary>
    public string? HostIncidentId { get; init; }

    /// <summary>The container as the restart agent found it before restarting it: why it died.</summary>
    public int? ExitCode { get; init; }
    public bool? OomKilled { get; init; }
    /// <summary>Docker health status (<c>healthy</c>, <c>unhealthy</c>, <c>starting</c>) and the output of the last health check.</summary>
    public string? HealthStatus { get; init; }
    public string? HealthLog { get; init; }
    /// <summary>The container's last log lines (stdout and stderr) before the restart.</summary>
    public string? LogTail { get; init; }
}

public static class EventTypes
{
    public const string AgentTimedOut = "agent.timed_out";
    public const string AgentFailed = "agent.failed";
    public const string AgentRecovered = "agent.recovered";
    public const string MonitorGap = "monitor.gap";
    public const string RestartRequested = "restart.requested";
    public const string RestartSucceeded = "restart.succeeded";
    public const string RestartFailed = "restart.failed";
    public const string RestartSuppressed = "restart.suppressed";

    public static IReadOnlyList<string> All { get; } =
        [AgentTimedOut, AgentFailed, AgentRecovered, MonitorGap, RestartRequested, RestartSucceeded, RestartFailed, RestartSuppressed];
}

public static class EventIds
{
    /// <summary>A stable id for the event of <paramref name="type"/> about <paramref name="subject"/> (an incident or command id): a name-based UUID (SHA-256).</summary>
    public static string For(string subject, string type)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(type + "|" + subject), hash);
        var bytes = hash[..16];
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x80); // version 8: custom, name-based
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 9562 variant
        return new Guid(bytes, bigEndian: true).ToString();
    }
}
