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
    /// Outgoing HTTP calls are not tracked as dependencies: alert channel URLs carry secrets (Slack, Discord and Teams
    /// webhook tokens, Telegram bot tokens), and a dependency record would store the full URL.
    /// </summary>
    public static IServiceCollection AddMonitorTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var clientId = configuration["AZURE_CLIENT_ID"];
        services
            .AddApplicationInsightsTelemetryWorkerService(options =>
            {
                options.EnableDependencyTrackingTelemetryModule = false;
                if (!string.IsNullOrWhiteSpace(clientId))
                {
                    options.Credential = new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
                }
            })
            .ConfigureFunctionsApplicationInsights();
        return services;
    }
}
