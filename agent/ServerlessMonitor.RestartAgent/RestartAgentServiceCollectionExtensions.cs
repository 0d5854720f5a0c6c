using Docker.DotNet;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ServerlessMonitor.RestartAgent;

public static class RestartAgentServiceCollectionExtensions
{
    /// <summary>The restart agent: settings (validated at start-up), the monitor client, the Docker client, the journal and the worker.</summary>
    public static IServiceCollection AddRestartAgent(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<RestartAgentOptions>()
            .Bind(configuration.GetSection(RestartAgentOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddHttpClient<MonitorBackendClient>((sp, client) =>
            {
                var settings = sp.GetRequiredService<IOptions<RestartAgentOptions>>().Value;
                var baseUrl = settings.BackendUrl!.ToString();
                client.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");
                client.Timeout = TimeSpan.FromSeconds(settings.HttpTimeoutSeconds);
                client.DefaultRequestHeaders.Add(MonitorBackendClient.HostKeyHeader, settings.HostKey);
                client.DefaultRequestHeaders.Add(MonitorBackendClient.AgentVersionHeader, typeof(RestartAgentWorker).Assembly.GetName().Version?.ToString() ?? "0");
            })
            // Never follow a redirect: it could carry the host key to another origin.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(15) });

        services.AddSingleton<IDockerClient>(sp =>
        {
            var settings = sp.GetRequiredService<IOptions<RestartAgentOptions>>().Value;
            return new DockerClientConfiguration(settings.DockerEndpointUri, credentials: null, defaultTimeout: settings.DockerApiTimeout).CreateClient();
        });
        services.AddSingleton<CommandJournal>();
        services.AddSingleton<ContainerRestarter>();
        services.AddHostedService<RestartAgentWorker>();
        return services;
    }
}
