using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ServerlessMonitor.Alerts.Channels;
using ServerlessMonitor.Alerts.Network;

namespace ServerlessMonitor.Alerts;

public static class AlertsServiceCollectionExtensions
{
    /// <summary>
    /// The alerts side: validated options, the channels, delivery tracking, grouping, reminders, the deliveries API, and
    /// the HTTP client every channel sends through (15 s timeout, no redirects, no proxy, no request logging because URLs
    /// carry tokens, and the connect-time address check against SSRF). The work scheduler comes with the event transport.
    /// </summary>
    public static IServiceCollection AddAlerts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AlertOptions>()
            .Bind(configuration.GetSection(AlertOptions.SectionName))
            .Configure(options => ReadSingleValueLists(options, configuration.GetSection(AlertOptions.SectionName)))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        services.AddSingleton<OutboundConnectionGuard>();
        services.AddHttpClient(AlertHttpSender.HttpClientName, client => client.Timeout = AlertHttpSender.CallTimeout)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                // Through a proxy, the connect-time check would see the proxy's address instead of the endpoint's.
                UseProxy = false,
                ConnectTimeout = AlertHttpSender.CallTimeout,
                ConnectCallback = sp.GetRequiredService<OutboundConnectionGuard>().ConnectAsync,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            })
            .RemoveAllLoggers();

        services.AddSingleton<AlertHttpSender>();
        services.AddSingleton<AlertChannels>();
        services.AddSingleton<AlertRouter>();
        services.AddSingleton<DeliveryRepository>();
        services.AddSingleton<AlertDeliverer>();
        services.AddSingleton<ChatWindows>();
        services.AddSingleton<AlertReminders>();
        services.AddSingleton<AlertDispatcher>();
        services.AddSingleton<DeliveriesApi>();
        services.TryAddSingleton<IAlertWorkScheduler, MissingAlertWorkScheduler>();
        return services;
    }

    /// <summary>
    /// The binder ignores a plain value where it expects a list, but one app setting is the handy way to write a list
    /// (<c>Alerts__Channels__slack__Events=agent.timed_out,agent.recovered</c>): such values are read here, and split on
    /// commas like every list entry (<see cref="AlertOptions.SplitList"/>).
    /// </summary>
    private static void ReadSingleValueLists(AlertOptions options, IConfigurationSection section)
    {
        foreach (var (name, channel) in options.Channels)
        {
            if (section.GetSection($"Channels:{name}:Events").Value is { Length: > 0 } events)
            {
                channel.Events = [events];
            }
        }
        if (section.GetSection("Routes:Default").Value is { Length: > 0 } defaultRoute)
        {
            options.Routes.Default = [defaultRoute];
        }
        foreach (var agent in section.GetSection("Routes:Agents").GetChildren())
        {
            if (agent.Value is { Length: > 0 } route)
            {
                options.Routes.Agents[agent.Key] = [route];
            }
        }
        if (section.GetSection("AllowedNetworks").Value is { Length: > 0 } networks)
        {
            options.AllowedNetworks = [networks];
        }
    }

    /// <summary>Alerts work as scheduled messages on the Service Bus events topic.</summary>
    public static IServiceCollection AddServiceBusAlertWork(this IServiceCollection services) =>
        services.AddSingleton<IAlertWorkScheduler, ServiceBusAlertWorkScheduler>();

    /// <summary>Alerts work as delayed messages on the alerts Storage queue.</summary>
    public static IServiceCollection AddQueueAlertWork(this IServiceCollection services) =>
        services.AddSingleton<IAlertWorkScheduler, QueueAlertWorkScheduler>();
}
