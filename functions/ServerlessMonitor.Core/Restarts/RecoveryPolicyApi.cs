using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Heartbeats;
using ServerlessMonitor.Http;
using ServerlessMonitor.Json;

namespace ServerlessMonitor.Restarts;

/// <summary>The body of <c>PUT /api/agents/{agent}/policy</c>: the agent's whole set of overrides; a field left out follows the <c>Monitor</c> default.</summary>
public sealed record RecoveryPolicyPayload
{
    public RecoveryAction? RecoveryAction { get; init; }
    public int? MaxRestarts { get; init; }
    public int? RestartWindowSeconds { get; init; }
    public int? BackoffInitialSeconds { get; init; }
    public int? BackoffMaxSeconds { get; init; }
    public int? BackoffResetSeconds { get; init; }
    public int? StartupGraceSeconds { get; init; }
    public bool? RestartOnFailureReport { get; init; }
    public bool? RestartOnCleanExit { get; init; }
}

/// <summary>An agent's recovery policy in force, what it overrides, and where its restart loop stands.</summary>
public sealed record RecoveryPolicyView
{
    public required string Agent { get; init; }
    public RecoveryAction RecoveryAction { get; init; }
    public int MaxRestarts { get; init; }
    public int RestartWindowSeconds { get; init; }
    public int BackoffInitialSeconds { get; init; }
    public int BackoffMaxSeconds { get; init; }
    public int BackoffResetSeconds { get; init; }
    public int StartupGraceSeconds { get; init; }
    public bool RestartOnFailureReport { get; init; }
    public bool RestartOnCleanExit { get; init; }
    public RecoveryPolicyOverrides? Overrides { get; init; }
    public RestartPhase RestartPhase { get; init; }
    public int RestartsInWindow { get; init; }
    public DateTimeOffset? LastRestartAt { get; init; }
    public DateTimeOffset? NextCheckAt { get; init; }

    public static RecoveryPolicyView From(AgentRecord agent, MonitorOptions defaults, DateTimeOffset now)
    {
        var policy = RecoveryPolicy.For(agent, defaults);
        return new RecoveryPolicyView
        {
            Agent = agent.Name,
            RecoveryAction = policy.Action,
            MaxRestarts = policy.MaxRestarts,
            RestartWindowSeconds = policy.RestartWindowSeconds,
            BackoffInitialSeconds = policy.BackoffInitialSeconds,
            BackoffMaxSeconds = policy.BackoffMaxSeconds,
            BackoffResetSeconds = policy.BackoffResetSeconds,
            StartupGraceSeconds = policy.StartupGraceSeconds,
            RestartOnFailureReport = policy.RestartOnFailureReport,
            RestartOnCleanExit = policy.RestartOnCleanExit,
            Overrides = agent.Policy,
            RestartPhase = agent.Restart.Phase,
            RestartsInWindow = RestartPlanner.RestartsInWindow(agent.Restart, policy, now),
            LastRestartAt = agent.Restart.LastRestartAt,
            NextCheckAt = agent.Restart.CheckAt,
        };
    }
}

/// <summary>Admin routes for an agent's recovery policy: <c>GET|PUT /api/agents/{agent}/policy</c> (function key / API key).</summary>
public sealed class RecoveryPolicyApi(AgentRepository agents, TimeProvider time, IOptions<MonitorOptions> options, ILogger<RecoveryPolicyApi> logger)
{
    private const int MaxBodyBytes = 4096;
    private const int MaxAttempts = 5;

    public Task<ApiResponse> GetAsync(string name, CancellationToken cancellationToken) =>
        ApiErrors.GuardAsync(async () =>
        {
            if (!AgentName.IsValid(name))
            {
                return InvalidName();
            }
            var agent = await agents.GetAsync(name, cancellationToken).ConfigureAwait(false);
            return agent is null ? NoSuchAgent(name) : View(agent);
        }, logger, cancellationToken);

    public Task<ApiResponse> PutAsync(string name, HttpRequest request, CancellationToken cancellationToken) =>
        ApiErrors.GuardAsync(async () =>
        {
            if (!AgentName.IsValid(name))
            {
                return InvalidName();
            }
            var (payload, problem) = await JsonBody.ReadAsync(request, MonitorJsonContext.Default.RecoveryPolicyPayload, MaxBodyBytes, "recovery policy", "The body is empty; send a JSON object of policy fields.", cancellationToken).ConfigureAwait(false);
            if (problem is not null)
            {
                return problem;
            }
            var errors = Validate(payload!);
            if (errors.Count > 0)
            {
                return ApiResponse.ValidationProblem(errors);
            }
            var overrides = new RecoveryPolicyOverrides
            {
                MaxRestarts = payload!.MaxRestarts,
                RestartWindowSeconds = payload.RestartWindowSeconds,
                BackoffInitialSeconds = payload.BackoffInitialSeconds,
                BackoffMaxSeconds = payload.BackoffMaxSeconds,
                BackoffResetSeconds = payload.BackoffResetSeconds,
                StartupGraceSeconds = payload.StartupGraceSeconds,
                RestartOnFailureReport = payload.RestartOnFailureReport,
                RestartOnCleanExit = payload.RestartOnCleanExit,
            };
            for (var attempt = 0; attempt < MaxAttempts; attempt++)
            {
                var agent = await agents.GetAsync(name, cancellationToken).ConfigureAwait(false);
                if (agent is null)
                {
                    return NoSuchAgent(name);
                }
                var changed = agent with
                {
                    RecoveryAction = payload.RecoveryAction ?? options.Value.DefaultRecoveryAction,
                    Policy = overrides.IsEmpty ? null : overrides,
                };
                var stored = await agents.TryReplaceAsync(changed, cancellationToken).ConfigureAwait(false);
                if (stored is not null)
                {
                    return View(stored);
                }
            }
            throw new ConcurrencyException($"Agent {name} changed {MaxAttempts} times while its policy was being set.");
        }, logger, cancellationToken);

    internal Dictionary<string, string[]> Validate(RecoveryPolicyPayload p)
    {
        var errors = new Dictionary<string, string[]>();
        void Range(string field, int? value, int min, int max)
        {
            if (value is { } v && (v < min || v > max))
            {
                errors[field] = [$"{field} must be between {min} and {max}."];
            }
        }
        Range("maxRestarts", p.MaxRestarts, 0, 1000);
        Range("restartWindowSeconds", p.RestartWindowSeconds, 1, 604_800);
        Range("backoffInitialSeconds", p.BackoffInitialSeconds, 0, 86_400);
        Range("backoffMaxSeconds", p.BackoffMaxSeconds, 0, 86_400);
        Range("backoffResetSeconds", p.BackoffResetSeconds, 1, 604_800);
        Range("startupGraceSeconds", p.StartupGraceSeconds, 1, 86_400);
        var defaults = options.Value;
        if (!errors.ContainsKey("backoffInitialSeconds") && !errors.ContainsKey("backoffMaxSeconds")
            && (p.BackoffInitialSeconds ?? defaults.DefaultBackoffInitialSeconds) > (p.BackoffMaxSeconds ?? defaults.DefaultBackoffMaxSeconds))
        {
            errors["backoffInitialSeconds"] = ["backoffInitialSeconds must not exceed backoffMaxSeconds."];
        }
        return errors;
    }

    private ApiResponse View(AgentRecord agent) =>
        ApiResponse.Json(StatusCodes.Status200OK, RecoveryPolicyView.From(agent, options.Value, time.GetUtcNow()), MonitorJsonContext.Default.RecoveryPolicyView);

    private static ApiResponse InvalidName() =>
        ApiResponse.ValidationProblem(new Dictionary<string, string[]> { ["agent"] = [$"The agent name must be 1-{AgentName.MaxLength} characters of A-Z, a-z, 0-9, '.', '_' and '-'."] });

    private static ApiResponse NoSuchAgent(string name) =>
        ApiResponse.Problem(StatusCodes.Status404NotFound, "No such agent", $"No agent named '{name}' has registered; its first heartbeat registers it.", ProblemTypes.NotFound);
}
