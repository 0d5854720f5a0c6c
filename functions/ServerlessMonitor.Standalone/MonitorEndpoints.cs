using ServerlessMonitor.Alerts;
using ServerlessMonitor.Dashboard;
using ServerlessMonitor.Health;
using ServerlessMonitor.Heartbeats;
using ServerlessMonitor.Hosts;
using ServerlessMonitor.Http;
using ServerlessMonitor.Restarts;

namespace ServerlessMonitor.Standalone;

/// <summary>The same routes as the Functions app, over the same core APIs.</summary>
public static class MonitorEndpoints
{
    public static IEndpointRouteBuilder MapMonitorApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");

        api.MapGet("/health", (HealthApi health, CancellationToken ct) => health.CheckAsync(ct));

        var keyed = api.MapGroup("").RequireApiKey();
        keyed.MapPost("/heartbeat", (HttpRequest request, HeartbeatApi heartbeats, CancellationToken ct) => heartbeats.PostAsync(request, ct));
        keyed.MapMethods("/heartbeat/{agent}", ["GET", "POST"], (string agent, HttpRequest request, HeartbeatApi heartbeats, CancellationToken ct) => heartbeats.PingAsync(agent, request, ct));
        keyed.MapGet("/agents", (AgentsApi agents, CancellationToken ct) => agents.ListAsync(ct));
        keyed.MapGet("/agents/{agent}", (string agent, AgentsApi agents, CancellationToken ct) => agents.GetAsync(agent, ct));
        keyed.MapGet("/agents/{agent}/usage", (string agent, HttpRequest request, AgentsApi agents, CancellationToken ct) => agents.UsageAsync(agent, request.Query["days"], ct));
        keyed.MapGet("/deliveries", (HttpRequest request, DeliveriesApi deliveries, CancellationToken ct) => deliveries.ListAsync(request.Query["status"], request.Query["limit"], ct));

        // Restarts (docs/restarts.md): admin routes take the API key; restart agents present their host key, checked by HostsApi.
        keyed.MapGet("/agents/{agent}/policy", (string agent, RecoveryPolicyApi policies, CancellationToken ct) => policies.GetAsync(agent, ct));
        keyed.MapPut("/agents/{agent}/policy", (string agent, HttpRequest request, RecoveryPolicyApi policies, CancellationToken ct) => policies.PutAsync(agent, request, ct));
        keyed.MapPost("/hosts/{host}/keys", (string host, HostsApi hosts, CancellationToken ct) => hosts.CreateKeyAsync(host, ct));
        keyed.MapDelete("/hosts/{host}/keys/{keyId}", (string host, string keyId, HostsApi hosts, CancellationToken ct) => hosts.RevokeKeyAsync(host, keyId, ct));
        api.MapGet("/hosts/{host}/commands", (string host, HttpRequest request, HostsApi hosts, CancellationToken ct) => hosts.LeaseCommandsAsync(host, request, ct));
        api.MapPost("/hosts/{host}/commands/{id}/result", (string host, string id, HttpRequest request, HostsApi hosts, CancellationToken ct) => hosts.PostResultAsync(host, id, request, ct));

        // Unknown routes under /api get a problem body too, not an empty 404.
        api.MapFallback(() => ApiResponse.Problem(StatusCodes.Status404NotFound, "No such route", "See the API reference in README.md.", ProblemTypes.NotFound));
        return app;
    }
}
