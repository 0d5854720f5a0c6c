using ServerlessMonitor.Dashboard;
using ServerlessMonitor.Health;
using ServerlessMonitor.Heartbeats;
using ServerlessMonitor.Http;

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

        // Unknown routes under /api get a problem body too, not an empty 404.
        api.MapFallback(() => ApiResponse.Problem(StatusCodes.Status404NotFound, "No such route", "See the API reference in README.md.", ProblemTypes.NotFound));
        return app;
    }
}
