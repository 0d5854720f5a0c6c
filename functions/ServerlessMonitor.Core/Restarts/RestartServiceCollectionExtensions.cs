using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ServerlessMonitor.Hosts;

namespace ServerlessMonitor.Restarts;

public static class RestartServiceCollectionExtensions
{
    /// <summary>The restart loop, the restart agents' host API and the policy API. Settings (section <c>Restarts</c>) are validated at start-up.</summary>
    public static IServiceCollection AddRestartLoop(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RestartOptions>().Bind(configuration.GetSection(RestartOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<HostRepository>();
        services.AddSingleton<RestartLoop>();
        services.AddSingleton<HostsApi>();
        services.AddSingleton<RecoveryPolicyApi>();
        return services;
    }
}
