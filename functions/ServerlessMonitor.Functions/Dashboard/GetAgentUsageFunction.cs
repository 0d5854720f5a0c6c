using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using ServerlessMonitor.Dashboard;

namespace ServerlessMonitor.Functions.Dashboard;

public sealed class GetAgentUsageFunction(AgentsApi agents)
{
    [Function("GetAgentUsage")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "agents/{agent}/usage")] HttpRequest request,
        string agent,
        CancellationToken cancellationToken) =>
        await agents.UsageAsync(agent, request.Query["days"], cancellationToken);
}
