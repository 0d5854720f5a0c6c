using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Http;
using ServerlessMonitor.Json;

namespace ServerlessMonitor.Heartbeats;

public sealed record HeartbeatResponse(
    string Agent,
    AgentStatus Status,
    HeartbeatOutcome Outcome,
    DateTimeOffset? LastHeartbeatAt,
    DateTimeOffset Deadline,
    int IntervalSeconds,
    int TimeoutSeconds,
    string? IncidentId);

/// <summary>The heartbeat routes, shared by both hosts: parse and validate, record, map the result.</summary>
public sealed class HeartbeatApi(HeartbeatService service, IOptions<MonitorOptions> options, ILogger<HeartbeatApi> logger)
{
    /// <summary><c>POST /api/heartbeat</c> with a JSON body. Any content type is read as JSON, so a bare <c>curl -d</c> works.</summary>
    public Task<ApiResponse> PostAsync(HttpRequest request, CancellationToken cancellationToken) =>
        ApiErrors.GuardAsync(async () =>
        {
            var (payload, problem) = await JsonBody.ReadAsync(request, MonitorJsonContext.Default.HeartbeatPayload, HeartbeatValidator.MaxBodyBytes, "heartbeat",
                "The body is empty. Send a JSON object such as {\"agent\":\"my-agent\"}, or ping /api/heartbeat/{agent} without a body.", cancellationToken).ConfigureAwait(false);
            return problem ?? await RecordAsync(payload!, cancellationToken).ConfigureAwait(false);
        }, logger, cancellationToken);

    /// <summary><c>GET|POST /api/heartbeat/{agent}</c> without a body, for one-line pings; <c>?status=</c> and <c>?message=</c> are optional.</summary>
    public Task<ApiResponse> PingAsync(string agent, HttpRequest request, CancellationToken cancellationToken) =>
        ApiErrors.GuardAsync(async () =>
        {
            var status = request.Query["status"].ToString();
            ReportedStatus? reported = null;
            if (status.Length > 0)
            {
                if (!Enum.TryParse<ReportedStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(status, out _))
                {
                    return ApiResponse.ValidationProblem(new Dictionary<string, string[]> { ["status"] = ["The status must be one of ok, start, fail."] });
                }
                reported = parsed;
            }
            var message = request.Query["message"].ToString();
            var payload = new HeartbeatPayload { Agent = agent, Status = reported, Message = message.Length > 0 ? message : null };
            return await RecordAsync(payload, cancellationToken).ConfigureAwait(false);
        }, logger, cancellationToken);

    private async Task<ApiResponse> RecordAsync(HeartbeatPayload payload, CancellationToken cancellationToken)
    {
        var (heartbeat, errors) = HeartbeatValidator.Validate(payload, options.Value);
        if (heartbeat is null)
        {
            return ApiResponse.ValidationProblem(errors);
        }
        var result = await service.RecordAsync(heartbeat, cancellationToken).ConfigureAwait(false);
        var agent = result.Agent;
        var body = new HeartbeatResponse(agent.Name, agent.Status, result.Outcome, agent.LastHeartbeatAt, agent.Deadline,
            agent.IntervalSeconds, agent.TimeoutSeconds, agent.IncidentId);
        return ApiResponse.Json(StatusCodes.Status200OK, body, MonitorJsonContext.Default.HeartbeatResponse);
    }
}
