using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Alerts;
using ServerlessMonitor.Dashboard;
using ServerlessMonitor.Events;
using ServerlessMonitor.Health;
using ServerlessMonitor.Heartbeats;
using ServerlessMonitor.Incidents;
using ServerlessMonitor.Restarts;
using ServerlessMonitor.Storage;
using ServerlessMonitor.Sweeping;

namespace ServerlessMonitor.Hosting;

public static class MonitorServiceCollectionExtensions
{
    /// <summary>The monitor's core services: storage, heartbeats, the sweeper, the event handlers and the HTTP APIs. Settings are validated at start-up.</summary>
    public static IServiceCollection AddMonitorCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);

        services.AddOptions<StorageOptions>()
            .Configure(o =>
            {
                var section = configuration.GetSection(StorageOptions.SectionName);
                section.Bind(o);
                // The Functions convention: the section's own value is a connection string.
                o.ConnectionString ??= section.Value;
            })
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<MonitorOptions>().Bind(configuration.GetSection(MonitorOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<SweeperOptions>()
            .Bind(configuration.GetSection("Sweeper"))
            .Configure(o => o.SweepSchedule = configuration[nameof(SweeperOptions.SweepSchedule)] ?? o.SweepSchedule)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<EventBusOptions>().Bind(configuration).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton(sp => AzureClients.CreateTableService(sp.GetRequiredService<IOptions<StorageOptions>>().Value));
        services.AddSingleton<MonitorTables>();
        services.AddSingleton<AgentRepository>();
        services.AddSingleton<AgentCache>();
        services.AddSingleton<DeadlineIndex>();
        services.AddSingleton<IncidentRepository>();
        services.AddSingleton<RestartCommandRepository>();

        services.AddSingleton<HeartbeatService>();
        services.AddSingleton<Sweeper>();
        services.AddAlerts(configuration);
        services.AddSingleton<RestartRequester>();
        services.AddRestartLoop(configuration);

        services.AddSingleton<HeartbeatApi>();
        services.AddSingleton<AgentsApi>();
        services.AddSingleton<HealthApi>();

        services.AddHostedService<StorageInitializer>();
        return services;
    }

    /// <summary>Publishes events to the Service Bus topic named by <c>EventsTopic</c>.</summary>
    public static IServiceCollection AddServiceBusEventPublisher(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(_ => AzureClients.CreateServiceBus(configuration));
        services.AddSingleton<IEventPublisher, ServiceBusEventPublisher>();
        services.AddServiceBusAlertWork();
        return services;
    }

    /// <summary>
    /// The event transport of a long-running host: the Service Bus topic and its subscriptions when
    /// <c>ServiceBusConnection</c> is configured, otherwise Storage queues in the monitor's storage account.
    /// </summary>
    public static IServiceCollection AddEventTransport(this IServiceCollection services, IConfiguration configuration)
    {
        if (AzureClients.HasServiceBus(configuration))
        {
            services.AddServiceBusEventPublisher(configuration);
            AddServiceBusConsumer<AlertDispatcher>(services, o => o.AlertsSubscription);
            AddServiceBusConsumer<RestartRequester>(services, o => o.RestartsSubscription);
            return services;
        }

        services.AddOptions<QueueConsumerOptions>().Bind(configuration.GetSection("Queues"));
        services.AddSingleton(sp => AzureClients.CreateQueueService(sp.GetRequiredService<IOptions<StorageOptions>>().Value));
        services.AddSingleton<EventQueues>();
        services.AddSingleton<IEventPublisher, QueueEventPublisher>();
        services.AddQueueAlertWork();
        QueueEventConsumer.Register<AlertDispatcher>(services, queues => queues.Alerts);
        QueueEventConsumer.Register<RestartRequester>(services, queues => queues.Restarts);
        return services;
    }

    /// <summary>The sweeper on its schedule, for a long-running host.</summary>
    public static IServiceCollection AddSweeperService(this IServiceCollection services) => services.AddHostedService<SweeperService>();

    private static void AddServiceBusConsumer<THandler>(IServiceCollection services, Func<EventBusOptions, string> subscription) where THandler : class, ISubscriptionHandler
    {
        services.AddSingleton<IHostedService>(sp =>
        {
            var bus = sp.GetRequiredService<IOptions<EventBusOptions>>().Value;
            return new ServiceBusEventConsumer(
                sp.GetRequiredService<ServiceBusClient>(),
                bus.EventsTopic,
                subscription(bus),
                sp.GetRequiredService<THandler>(),
                sp.GetRequiredService<ILogger<ServiceBusEventConsumer>>());
        });
    }
}
