using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Http;
using ServerlessMonitor.Json;
using ServerlessMonitor.Restarts;

namespace ServerlessMonitor.Hosts;

/// <summary>Answer to <c>POST /api/hosts/{host}/keys</c>. The key is shown this once; only its hash is stored.</summary>
public sealed record HostKeyCreated(string Host, string KeyId, string Key, DateTimeOffset CreatedAt);

public sealed record HostKeyRevoked(string Host, string KeyId, bool Revoked);

/// <summary>A command as handed to a restart agent, leased to it until <see cref="LeaseExpiresAt"/>.</summary>
public sealed record HostCommandView(
    string Id,
    string Agent,
    string? Container,
    string IncidentId,
    int Attempt,
    DateTimeOffset LeaseExpiresAt,
    DateTimeOffset ExpiresAt,
    bool SkipIfExitedCleanly,
    int Deliveries);

public sealed record HostCommandsResponse(string Host, HostCommandView[] Commands);

public sealed record CommandResultResponse(string Id, CommandStatus Status);

/// <summary>
/// The Docker hosts' routes. Admin (function key / API key): <c>POST /api/hosts/{host}/keys</c> and
/// <c>DELETE /api/hosts/{host}/keys/{keyId}</c>. Restart agent (its host key in <c>x-host-key</c>, checked here, so
/// the Functions triggers are anonymous): <c>GET /api/hosts/{host}/commands</c> leases the pending commands and
/// records the host as alive; <c>POST /api/hosts/{host}/commands/{id}/result</c> reports what became of one.
/// </summary>
public sealed partial class HostsApi(
    HostRepository hosts,
    RestartCommandRepository commands,
    RestartLoop loop,
    TimeProvider time,
    IOptions<RestartOptions> options,
    ILogger<HostsApi> logger)
{
    public const string PollIntervalQuery = "pollIntervalSeconds";
    public const string AgentVersionHeader = "x-agent-version";

    private const int MaxResultBytes = 64 * 1024;
    private const int MaxLogTailChars = 16 * 1024;
    private const int MaxHealthLogChars = 4 * 1024;
    private const int MaxErrorChars = 2 * 1024;
    private const int MaxReasonChars = 200;

    public Task<ApiResponse> CreateKeyAsync(string host, CancellationToken cancellationToken) =>
        ApiErrors.GuardAsync(async () =>
        {
            if (!AgentName.IsValid(host))
            {
                return InvalidHost();
            }
            var (keyId, key) = HostKeys.Generate();
            var created = new HostKeyRecord(host, keyId, HostKeys.Hash(key), time.GetUtcNow());
            await hosts.AddKeyAsync(created, cancellationToken).ConfigureAwait(false);
            LogKeyCreated(host, keyId);
            return ApiResponse.Json(StatusCodes.Status201Created, new HostKeyCreated(host, keyId, key, created.CreatedAt), MonitorJsonContext.Default.HostKeyCreated)
                .WithHeader("Cache-Control", "no-store");
        }, logger, cancellationToken);

    public Task<ApiResponse> RevokeKeyAsync(string host, string keyId, CancellationToken cancellationToken) =>
        ApiErrors.GuardAsync(async () =>
        {
            if (!AgentName.IsValid(host))
            {
                return InvalidHost();
            }
            if (!HostKeys.IsValidKeyId(keyId))
            {
                return ApiResponse.ValidationProblem(new Dictionary<string, string[]> { ["keyId"] = ["A key id is 12 characters of a-z and 0-9."] });
            }
            if (!await hosts.DeleteKeyAsync(host, keyId, cancellationToken).ConfigureAwait(false))
            {
                return ApiResponse.Problem(StatusCodes.Status404NotFound, "No such key", $"Host '{host}' has no key '{keyId}'.", ProblemTypes.NotFound);
            }
            LogKeyRevoked(host, keyId);
            return ApiResponse.Json(StatusCodes.Status200OK, new HostKeyRevoked(host, keyId, Revoked: true), MonitorJsonContext.Default.HostKeyRevoked);
        }, logger, cancellationToken);

    /// <summary>
    /// Leases the host's pending commands (and those whose lease ran out: their restart agent died mid-way) to the
    /// caller, each with an ETag-guarded write, so two pollers never get the same command at once.
    /// </summary>
    public Task<ApiResponse> LeaseCommandsAsync(string host, HttpRequest request, CancellationToken cancellationToken) =>
        ApiErrors.GuardAsync(async () =>
        {
            if (!AgentName.IsValid(host))
            {
                return InvalidHost();
            }
            if (!await IsAuthorizedAsync(host, request, cancellationToken).ConfigureAwait(false))
            {
                return Unauthorized();
            }
            var settings = options.Value;
            var pollInterval = settings.DefaultPollIntervalSeconds;
            if (request.Query[PollIntervalQuery].ToString() is { Length: > 0 } given)
            {
                if (!int.TryParse(given, NumberStyles.None, CultureInfo.InvariantCulture, out pollInterval) || pollInterval is < 1 or > 3600)
                {
                    return ApiResponse.ValidationProblem(new Dictionary<string, string[]> { [PollIntervalQuery] = ["The poll interval must be a whole number of seconds between 1 and 3600."] });
                }
            }
            var version = request.Headers[AgentVersionHeader].ToString();

            var now = time.GetUtcNow();
            await hosts.RecordPollAsync(host, now, pollInterval, version.Length is > 0 and <= 64 ? version : null, cancellationToken).ConfigureAwait(false);

            var leased = new List<HostCommandView>();
            await foreach (var command in commands.ListOpenAsync(host, cancellationToken).ConfigureAwait(false))
            {
                if (leased.Count >= settings.MaxCommandsPerPoll)
                {
                    break;
                }
                var offerable = command.ExpiresAt > now
                    && (command.Status == CommandStatus.Pending || (command.Status == CommandStatus.Leased && command.LeaseExpiresAt <= now));
                if (!offerable)
                {
                    continue;
                }
                var lease = command with
                {
                    Status = CommandStatus.Leased,
                    LeasedAt = now,
                    LeaseExpiresAt = now.AddSeconds(settings.LeaseSeconds),
                    Deliveries = command.Deliveries + 1,
                };
                var stored = await commands.TryReplaceAsync(lease, cancellationToken).ConfigureAwait(false);
                if (stored is null)
                {
                    continue; // another poller leased it, or the monitor withdrew it, just now
                }
                LogLeased(host, stored.Id, stored.Agent, stored.Deliveries);
                leased.Add(new HostCommandView(stored.Id, stored.Agent, stored.Container, stored.IncidentId, stored.Attempt,
                    stored.LeaseExpiresAt!.Value, stored.ExpiresAt, stored.SkipIfExitedCleanly, stored.Deliveries));
            }
            return ApiResponse.Json(StatusCodes.Status200OK, new HostCommandsResponse(host, [.. leased]), MonitorJsonContext.Default.HostCommandsResponse);
        }, logger, cancellationToken);

    public Task<ApiResponse> PostResultAsync(string host, string commandId, HttpRequest request, CancellationToken cancellationToken) =>
        ApiErrors.GuardAsync(async () =>
        {
            if (!AgentName.IsValid(host))
            {
                return InvalidHost();
            }
            if (!await IsAuthorizedAsync(host, request, cancellationToken).ConfigureAwait(false))
            {
                return Unauthorized();
            }
            if (!Guid.TryParseExact(commandId, "D", out _))
            {
                return ApiResponse.ValidationProblem(new Dictionary<string, string[]> { ["id"] = ["A command id is a UUID as handed out by GET /api/hosts/{host}/commands."] });
            }
            var (result, problem) = await JsonBody.ReadAsync(request, MonitorJsonContext.Default.CommandResult, MaxResultBytes, "command result", "The body is empty; send the command's result as a JSON object.", cancellationToken).ConfigureAwait(false);
            if (problem is not null)
            {
                return problem;
            }
            var errors = Validate(result!);
            if (errors.Count > 0)
            {
                return ApiResponse.ValidationProblem(errors);
            }

            var completion = await loop.CompleteAsync(host, commandId, result!, cancellationToken).ConfigureAwait(false);
            return completion.Outcome switch
            {
                CompletionOutcome.NotFound => ApiResponse.Problem(StatusCodes.Status404NotFound, "No such command", $"Host '{host}' has no command '{commandId}'.", ProblemTypes.NotFound),
                CompletionOutcome.Conflict => ApiResponse.Problem(StatusCodes.Status409Conflict, "The command is closed",
                    $"Command '{commandId}' is {WireNames.Name(completion.Command!.Status)}{(completion.Command.Result is { } r ? $" (reported {WireNames.Name(r.Outcome)})" : "")}; this result was not recorded.",
                    ProblemTypes.Conflict),
                _ => ApiResponse.Json(StatusCodes.Status200OK, new CommandResultResponse(commandId, completion.Command!.Status), MonitorJsonContext.Default.CommandResultResponse),
            };
        }, logger, cancellationToken);

    /// <summary>Checks the <c>x-host-key</c> header against the host's stored key hashes (constant-time compare).</summary>
    public async Task<bool> IsAuthorizedAsync(string host, HttpRequest request, CancellationToken cancellationToken)
    {
        var presented = request.Headers[HostKeys.HeaderName].ToString();
        if (HostKeys.KeyIdOf(presented) is not { } keyId)
        {
            return false;
        }
        var stored = await hosts.GetKeyAsync(host, keyId, cancellationToken).ConfigureAwait(false);
        return stored is not null && HostKeys.Matches(presented, stored.Hash);
    }

    private static Dictionary<string, string[]> Validate(CommandResult result)
    {
        var errors = new Dictionary<string, string[]>();
        void Max(string field, string? value, int max)
        {
            if (value is not null && value.Length > max)
            {
                errors[field] = [$"{field} must be at most {max} characters."];
            }
        }
        if (!Enum.IsDefined(result.Outcome))
        {
            errors["outcome"] = ["The outcome must be one of succeeded, failed, skipped."];
        }
        Max("reason", result.Reason, MaxReasonChars);
        Max("error", result.Error, MaxErrorChars);
        Max("containerId", result.ContainerId, 128);
        Max("containerName", result.ContainerName, 128);
        Max("healthStatus", result.HealthStatus, 32);
        Max("healthLog", result.HealthLog, MaxHealthLogChars);
        Max("logTail", result.LogTail, MaxLogTailChars);
        if (result.LogTail is not null && Encoding.UTF8.GetByteCount(result.LogTail) > 3 * MaxLogTailChars)
        {
            errors["logTail"] = ["logTail is too large."];
        }
        return errors;
    }

    private static ApiResponse InvalidHost() =>
        ApiResponse.ValidationProblem(new Dictionary<string, string[]> { ["host"] = [$"The host must be 1-{AgentName.MaxLength} characters of A-Z, a-z, 0-9, '.', '_' and '-'."] });

    private static ApiResponse Unauthorized() =>
        ApiResponse.Problem(StatusCodes.Status401Unauthorized, "A valid host key is required",
            $"Send the host's key in the {HostKeys.HeaderName} header; an admin creates one with POST /api/hosts/{{host}}/keys.", ProblemTypes.Unauthorized);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host key {KeyId} created for host {Host}")]
    private partial void LogKeyCreated(string host, string keyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host key {KeyId} of host {Host} revoked")]
    private partial void LogKeyRevoked(string host, string keyId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Command {CommandId} for agent {Agent} leased to the restart agent of host {Host} (delivery {Deliveries})")]
    private partial void LogLeased(string host, string commandId, string agent, int deliveries);
}
