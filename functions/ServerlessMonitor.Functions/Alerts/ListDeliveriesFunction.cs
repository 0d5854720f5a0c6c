using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using ServerlessMonitor.Alerts;

namespace ServerlessMonitor.Functions.Alerts;

public sealed class ListDeliveriesFunction(DeliveriesApi deliveries)
{
    /// <summary><c>GET /api/deliveries?status=dead&amp;limit=100</c>: given-up deliveries and the state of each channel.</summary>
    [Function("ListDeliveries")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "deliveries")] HttpRequest request,
        CancellationToken cancellationToken) =>
        await deliveries.ListAsync(request.Query["status"], request.Query["limit"], cancellationToken);
}
