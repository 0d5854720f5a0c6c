using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using ServerlessMonitor.Hosts;

namespace ServerlessMonitor.Functions.Hosts;

public sealed class LeaseHostCommandsFunction(HostsApi hosts)
{
    /// <remarks>Anonymous at the Functions level on purpose: the restart agent authenticates with its host key (x-host-key), which HostsApi checks.</remarks>
    [Function("LeaseHostCommands")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "hosts/{host}/commands")] HttpRequest request,
        string host,
        CancellationToken cancellationToken) =>
        await hosts.LeaseCommandsAsync(host, request, cancellationToken);
}
