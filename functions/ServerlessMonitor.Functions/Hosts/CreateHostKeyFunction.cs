using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using ServerlessMonitor.Hosts;

namespace ServerlessMonitor.Functions.Hosts;

public sealed class CreateHostKeyFunction(HostsApi hosts)
{
    [Function("CreateHostKey")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = "hosts/{host}/keys")] HttpRequest request,
        string host,
        CancellationToken cancellationToken) =>
        await hosts.CreateKeyAsync(host, cancellationToken);
}
