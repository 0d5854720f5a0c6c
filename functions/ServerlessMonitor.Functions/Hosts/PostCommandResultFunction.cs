using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using ServerlessMonitor.Hosts;

namespace ServerlessMonitor.Functions.Hosts;

public sealed class PostCommandResultFunction(HostsApi hosts)
{
    /// <remarks>Anonymous at the Functions level on purpose: the restart agent authenticates with its host key (x-host-key), which HostsApi checks.</remarks>
    [Function("PostCommandResult")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "hosts/{host}/commands/{id}/result")] HttpRequest request,
        string host,
        string id,
        CancellationToken cancellationToken) =>
        await hosts.PostResultAsync(host, id, request, cancellationToken);
}
