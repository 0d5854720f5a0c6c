using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Http;
using ServerlessMonitor.Incidents;
using ServerlessMonitor.Json;

namespace ServerlessMonitor.Dashboard;

public sealed record IncidentView(string Id, IncidentReason Reason, DateTimeOffset DownSince, DateTimeOffset? ClosedAt, double? DowntimeSeconds, string? LastMessage);

public sealed record AgentView
{
    public required string Agent { get; init; }
    public AgentStatus Status { get; init; }
    public string? Host { get; init; }
    public string? Container { get; init; }
    public DateTimeOffset RegisteredAt { get; init; }
    public DateTimeOffset? LastHeartbeatAt { get; init; }
    public DateTimeOffset Deadline { get; init; }
    public int IntervalSeconds { get; init; }
    public int TimeoutSeconds { get; init; }
    public RecoveryAction RecoveryAction { get; init; }
    public ReportedStatus? LastStatus { get; init; }
    public string? LastMessage { get; init; }
    public long? Progress { get; init; }
    public long HeartbeatCount { get; init; }
    public string? IncidentId { get; init; }
    public DateTimeOffset? DownSince { get; init; }
    public DateOnly? UsageDate { get; init; }
    public long UsageTokens { get; init; }
    public decimal UsageCostUsd { get; init; }
    public IncidentView[]? Incidents { get; init; }

    public static AgentView From(AgentRecord r, IncidentView[]? incidents = null) => new()
    {
        Agent = r.Name,
        Status = r.Status,
        Host = r.Host,
        Container = r.Container,
        RegisteredAt = r.RegisteredAt,
        LastHeartbeatAt = r.LastHeartbeatAt,
        Deadline = r.Deadline,
        IntervalSeconds = r.IntervalSeconds,
        TimeoutSeconds = r.TimeoutSeconds,
        RecoveryAction = r.RecoveryAction,
        LastStatus = r.LastReportedStatus,
        LastMessage = r.LastMessage,
        Progress = r.Progress,
        HeartbeatCount = r.HeartbeatCount,
        IncidentId = r.IncidentId,
        DownSince = r.DownSince,
        UsageDate = r.UsageDate,
        UsageTokens = r.UsageTokens,
        UsageCostUsd = r.UsageCostUsd,
        Incidents = incidents,
    };
}

public sealed record UsageView(string Agent, DailyUsage[] Days, long TotalTokens, decimal TotalCostUsd);

/// <summary>Read-only views of agents for people and dashboards: <c>GET /api/agents</c>, <c>GET /api/agents/{agent}</c> and its usage.</summary>
public sealed class AgentsApi(AgentRepository agents, IncidentRepository incidents, TimeProvider time, ILogger<AgentsApi> logger)
{
    public const int MaxUsageDays = 366;

    private const int MaxListed = 1000;
    private const int MaxIncidents = 20;

    public Task<ApiResponse> ListAsync(CancellationToken cancellationToken) =>
        ApiErrors.GuardAsync(async () =>
        {
            var views = new List<AgentView>();
            await foreach (var agent in agents.ListAsync(MaxListed, cancellationToken).ConfigureAwait(false))
            {
                views.Add(AgentView.From(agent));
            }
            return ApiResponse.Json(StatusCodes.Status200OK, views.ToArray(), MonitorJsonContext.Default.AgentViewArray);
        }, logger, cancellationToken);

    /// <summary>
    /// <c>GET /api/agents/{agent}/usage?days=N</c>: tokens and cost per UTC day for the last <paramref name="days"/> days
    /// (default 30), today included (today's running totals live on the agent row).
    /// </summary>
    public Task<ApiResponse> UsageAsync(string name, string? days, CancellationToken cancellationToken) =>
        ApiErrors.GuardAsync(async () =>
        {
            var errors = new Dictionary<string, string[]>();
            if (!AgentName.IsValid(name))
            {
                errors["agent"] = ["The agent name must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'."];
            }
            var span = 30;
            if (!string.IsNullOrEmpty(days) && (!int.TryParse(days, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out span) || span is < 1 or > MaxUsageDays))
            {
                errors["days"] = [$"days must be a whole number from 1 to {MaxUsageDays}."];
            }
            if (errors.Count > 0)
            {
                return ApiResponse.ValidationProblem(errors);
            }
            var agent = await agents.GetAsync(name, cancellationToken).ConfigureAwait(false);
            if (agent is null)
            {
                return ApiResponse.Problem(StatusCodes.Status404NotFound, "No such agent", $"No agent named '{name}' has registered.", ProblemTypes.NotFound);
            }
            var today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
            var from = today.AddDays(1 - span);
            var history = new List<DailyUsage>();
            await foreach (var day in agents.ListDailyUsageAsync(name, from, cancellationToken).ConfigureAwait(false))
            {
                history.Add(day);
            }
            if (agent.UsageDate is { } current && current >= from && (agent.UsageTokens > 0 || agent.UsageCostUsd > 0))
            {
                history.RemoveAll(d => d.Day == current);
                history.Add(new DailyUsage(current, agent.UsageTokens, agent.UsageCostUsd));
            }
            DailyUsage[] ordered = [.. history.OrderBy(d => d.Day)];
            var view = new UsageView(name, ordered, ordered.Sum(d => d.Tokens), ordered.Sum(d => d.CostUsd));
            return ApiResponse.Json(StatusCodes.Status200OK, view, MonitorJsonContext.Default.UsageView);
        }, logger, cancellationToken);

    public Task<ApiResponse> GetAsync(string name, CancellationToken cancellationToken) =>
        ApiErrors.GuardAsync(async () =>
        {
            if (!AgentName.IsValid(name))
            {
                return ApiResponse.ValidationProblem(new Dictionary<string, string[]> { ["agent"] = ["The agent name must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'."] });
            }
            var agent = await agents.GetAsync(name, cancellationToken).ConfigureAwait(false);
            if (agent is null)
            {
                return ApiResponse.Problem(StatusCodes.Status404NotFound, "No such agent", $"No agent named '{name}' has registered.", ProblemTypes.NotFound);
            }
            var history = new List<IncidentView>();
            await foreach (var i in incidents.ListAsync(name, MaxIncidents, cancellationToken).ConfigureAwait(false))
            {
                history.Add(new IncidentView(i.Id, i.Reason, i.DownSince, i.ClosedAt, i.DowntimeSeconds, i.LastMessage));
            }
            return ApiResponse.Json(StatusCodes.Status200OK, AgentView.From(agent, [.. history]), MonitorJsonContext.Default.AgentView);
        }, logger, cancellationToken);
}
