using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using ServerlessMonitor.Dashboard;

namespace ServerlessMonitor.Functions.Dashboard;

public sealed class GetAgentFunction(AgentsApi agents)
{
    [Function("GetAgent")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "agents/{agent}")] HttpRequest request,
        string agent,
        CancellationToken cancellationToken) =>
        await agents.GetAsync(agent, cancellationToken);
}
