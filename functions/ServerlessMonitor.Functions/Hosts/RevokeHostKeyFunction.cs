using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using ServerlessMonitor.Hosts;

namespace ServerlessMonitor.Functions.Hosts;

public sealed class RevokeHostKeyFunction(HostsApi hosts)
{
    [Function("RevokeHostKey")]
    public async Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Function, "delete", Route = "hosts/{host}/keys/{keyId}")] HttpRequest request,
        string host,
        string keyId,
        CancellationToken cancellationToken) =>
        await hosts.RevokeKeyAsync(host, keyId, cancellationToken);
}
