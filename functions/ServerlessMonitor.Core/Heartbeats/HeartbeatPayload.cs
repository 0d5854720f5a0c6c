using System.Text;
using ServerlessMonitor.Agents;

namespace ServerlessMonitor.Heartbeats;

/// <summary>The body of <c>POST /api/heartbeat</c>. Unknown properties are ignored so newer agents keep working.</summary>
public sealed record HeartbeatPayload
{
    public string? Agent { get; init; }
    public ReportedStatus? Status { get; init; }
    public string? Host { get; init; }
    public string? Container { get; init; }
    public string? Message { get; init; }
    public long? Tokens { get; init; }
    public decimal? CostUsd { get; init; }
    public long? Progress { get; init; }
    public int? IntervalSeconds { get; init; }
    public int? TimeoutSeconds { get; init; }
}

/// <summary>A heartbeat that passed validation.</summary>
public sealed record Heartbeat
{
    public required string Agent { get; init; }
    public ReportedStatus Status { get; init; } = ReportedStatus.Ok;
    public string? Host { get; init; }
    public string? Container { get; init; }
    public string? Message { get; init; }
    public long Tokens { get; init; }
    public decimal CostUsd { get; init; }
    public long? Progress { get; init; }
    public int? IntervalSeconds { get; init; }
    public int? TimeoutSeconds { get; init; }
}

public static class HeartbeatValidator
{
    public const int MaxMessageBytes = 1024;
    public const int MaxBodyBytes = 16 * 1024;

    /// <summary>Checks every field; returns the errors by field name (empty when valid) and the heartbeat when valid.</summary>
    public static (Heartbeat? Heartbeat, Dictionary<string, string[]> Errors) Validate(HeartbeatPayload payload, MonitorOptions limits)
    {
        var errors = new Dictionary<string, string[]>();
        void Fail(string field, string error) => errors[field] = [error];

        if (string.IsNullOrEmpty(payload.Agent))
        {
            Fail("agent", "The agent name is required.");
        }
        else if (!AgentName.IsValid(payload.Agent))
        {
            Fail("agent", $"The agent name must be 1-{AgentName.MaxLength} characters of A-Z, a-z, 0-9, '.', '_' and '-'.");
        }
        if (payload.Host is not null && !AgentName.IsValid(payload.Host))
        {
            Fail("host", $"The host must be 1-{AgentName.MaxLength} characters of A-Z, a-z, 0-9, '.', '_' and '-'.");
        }
        if (payload.Container is not null && !AgentName.IsValidContainer(payload.Container))
        {
            Fail("container", "The container must be a Docker container id or name (up to 128 characters of A-Z, a-z, 0-9, '_', '.', '-').");
        }
        if (payload.Message is not null && Encoding.UTF8.GetByteCount(payload.Message) > MaxMessageBytes)
        {
            Fail("message", $"The message must be at most {MaxMessageBytes} bytes of UTF-8.");
        }
        if (payload.Tokens < 0)
        {
            Fail("tokens", "Tokens must not be negative.");
        }
        if (payload.CostUsd < 0)
        {
            Fail("costUsd", "The cost must not be negative.");
        }
        if (payload.Progress < 0)
        {
            Fail("progress", "Progress must not be negative.");
        }
        if (payload.IntervalSeconds is < 1 or > 86_400)
        {
            Fail("intervalSeconds", "The interval must be between 1 and 86400 seconds.");
        }
        if (payload.TimeoutSeconds is { } timeout && (timeout < limits.MinTimeoutSeconds || timeout > limits.MaxTimeoutSeconds))
        {
            Fail("timeoutSeconds", $"The timeout must be between {limits.MinTimeoutSeconds} and {limits.MaxTimeoutSeconds} seconds.");
        }
        if (payload.TimeoutSeconds is { } t && payload.IntervalSeconds is { } i && t < i)
        {
            Fail("timeoutSeconds", "The timeout must not be shorter than the interval.");
        }

        if (errors.Count > 0)
        {
            return (null, errors);
        }
        return (new Heartbeat
        {
            Agent = payload.Agent!,
            Status = payload.Status ?? ReportedStatus.Ok,
            Host = payload.Host,
            Container = payload.Container,
            Message = payload.Message,
            Tokens = payload.Tokens ?? 0,
            CostUsd = payload.CostUsd ?? 0m,
            Progress = payload.Progress,
            IntervalSeconds = payload.IntervalSeconds,
            TimeoutSeconds = payload.TimeoutSeconds,
        }, errors);
    }
}
