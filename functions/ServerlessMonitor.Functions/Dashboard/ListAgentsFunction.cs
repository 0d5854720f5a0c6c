using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using ServerlessMonitor.Dashboard;

namespace ServerlessMonitor.Functions.Dashboard;

public sealed class ListAgentsFunction(AgentsApi agents)
{
    [Function("ListAgents")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "agents")] HttpRequest request,
        CancellationToken cancellationToken) =>
        await agents.ListAsync(cancellationToken);
}
