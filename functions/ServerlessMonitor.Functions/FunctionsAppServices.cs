using Azure.Identity;
using Microsoft.ApplicationInsights.Extensibility;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ServerlessMonitor.Hosting;

namespace ServerlessMonitor.Functions;

public static class FunctionsAppServices
{
    /// <summary>Everything the Functions app runs on: telemetry, the monitor's core, and Service Bus as the event transport.</summary>
    public static IServiceCollection AddServerlessMonitorFunctions(this IServiceCollection services, IConfiguration configuration) =>
        services
            .AddMonitorTelemetry(configuration)
            .AddMonitorCore(configuration)
            .AddServiceBusEventPublisher(configuration);

    /// <summary>
    /// Application Insights for the worker. The resource refuses instrumentation-key ingestion (local auth is off),
    /// so in Azure the worker authenticates with the app's user-assigned identity (<c>AZURE_CLIENT_ID</c>).
    /// Outgoing HTTP calls are not tracked as dependencies: alert channel URLs carry secrets (Slack, Discord and Teams
    /// webhook tokens, Telegram bot tokens), and a dependency record would store the full URL.
    /// </summary>
    private static IServiceCollection AddMonitorTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var clientId = configuration["AZURE_CLIENT_ID"];
        services
            .AddApplicationInsightsTelemetryWorkerService(options => options.EnableDependencyTrackingTelemetryModule = false)
            .ConfigureFunctionsApplicationInsights();
        if (!string.IsNullOrWhiteSpace(clientId))
        {
            var credential = new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
            services.Configure<TelemetryConfiguration>(telemetry => telemetry.SetAzureTokenCredential(credential));
        }
        return services;
    }
}
