using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using ServerlessMonitor.Restarts;

namespace ServerlessMonitor.Functions.Restarts;

public sealed class PutAgentPolicyFunction(RecoveryPolicyApi policies)
{
    [Function("PutAgentPolicy")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "put", Route = "agents/{agent}/policy")] HttpRequest request,
        string agent,
        CancellationToken cancellationToken) =>
        await policies.PutAsync(agent, request, cancellationToken);
}
