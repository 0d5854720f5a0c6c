using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using ServerlessMonitor.Restarts;

namespace ServerlessMonitor.Functions.Restarts;

public sealed class GetAgentPolicyFunction(RecoveryPolicyApi policies)
{
    [Function("GetAgentPolicy")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = "agents/{agent}/policy")] HttpRequest request,
        string agent,
        CancellationToken cancellationToken) =>
        await policies.GetAsync(agent, cancellationToken);
}
