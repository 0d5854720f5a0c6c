using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using ServerlessMonitor.Heartbeats;

namespace ServerlessMonitor.Functions.Heartbeats;

public sealed class HeartbeatPingFunction(HeartbeatApi heartbeats)
{
    [Function("HeartbeatPing")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", "post", Route = "heartbeat/{agent}")] HttpRequest request,
        string agent,
        CancellationToken cancellationToken) =>
        await heartbeats.PingAsync(agent, request, cancellationToken);
}
