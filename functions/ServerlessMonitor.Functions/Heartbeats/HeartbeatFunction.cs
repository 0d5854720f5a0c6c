using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using ServerlessMonitor.Heartbeats;

namespace ServerlessMonitor.Functions.Heartbeats;

public sealed class HeartbeatFunction(HeartbeatApi heartbeats)
{
    [Function("Heartbeat")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "heartbeat")] HttpRequest request,
        CancellationToken cancellationToken) =>
        await heartbeats.PostAsync(request, cancellationToken);
}
