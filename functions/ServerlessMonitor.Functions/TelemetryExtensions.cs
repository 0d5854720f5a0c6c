using Azure.Identity;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ServerlessMonitor.Functions;

internal static class TelemetryExtensions
{
    /// <summary>
    /// Application Insights for the worker. The resource refuses instrumentation-key ingestion (local auth is off),
    /// so in Azure the worker authenticates with the app's user-assigned identity (<c>AZURE_CLIENT_ID</c>).
    /// </summary>
    public static IServiceCollection AddMonitorTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var clientId = configuration["AZURE_CLIENT_ID"];
        services
            .AddApplicationInsightsTelemetryWorkerService(options =>
            {
                if (!string.IsNullOrWhiteSpace(clientId))
                {
                    options.Credential = new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
                }
            })
            .ConfigureFunctionsApplicationInsights();
        return services;
    }
}
