using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Messaging.ServiceBus;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using ServerlessMonitor.Events;
using ServerlessMonitor.Storage;

namespace ServerlessMonitor.Hosting;

/// <summary>
/// Builds the Azure SDK clients from settings in the Azure Functions connection convention, with short timeouts
/// and few retries: a heartbeat or a sweep should fail fast with 503 rather than hang behind a dead storage account.
/// </summary>
internal static class AzureClients
{
    private static readonly TimeSpan NetworkTimeout = TimeSpan.FromSeconds(10);

    public static TableServiceClient CreateTableService(StorageOptions storage)
    {
        var options = new TableClientOptions();
        Configure(options.Retry);
        return storage.ConnectionString is { Length: > 0 } connection
            ? new TableServiceClient(connection, options)
            : new TableServiceClient(storage.TableServiceUri!, Credential(storage.ClientId), options);
    }

    public static QueueServiceClient CreateQueueService(StorageOptions storage)
    {
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        Configure(options.Retry);
        if (storage.ConnectionString is { Length: > 0 } connection)
        {
            return new QueueServiceClient(connection, options);
        }
        var uri = storage.QueueServiceUri
            ?? throw new InvalidOperationException("Storage queues need MonitorStorage__queueServiceUri when no connection string is set.");
        return new QueueServiceClient(uri, Credential(storage.ClientId), options);
    }

    /// <summary>Whether the section <c>ServiceBusConnection</c> names a namespace (as a connection string or <c>__fullyQualifiedNamespace</c>).</summary>
    public static bool HasServiceBus(IConfiguration configuration)
    {
        var section = configuration.GetSection(EventBusOptions.ConnectionSectionName);
        return !string.IsNullOrWhiteSpace(section.Value) || !string.IsNullOrWhiteSpace(section["fullyQualifiedNamespace"]);
    }

    public static ServiceBusClient CreateServiceBus(IConfiguration configuration)
    {
        var section = configuration.GetSection(EventBusOptions.ConnectionSectionName);
        var options = new ServiceBusClientOptions
        {
            RetryOptions = new ServiceBusRetryOptions { MaxRetries = 3, TryTimeout = NetworkTimeout, Mode = ServiceBusRetryMode.Exponential },
        };
        return !string.IsNullOrWhiteSpace(section.Value)
            ? new ServiceBusClient(section.Value, options)
            : new ServiceBusClient(section["fullyQualifiedNamespace"], Credential(section["clientId"]), options);
    }

    private static void Configure(RetryOptions retry)
    {
        retry.MaxRetries = 2;
        retry.Delay = TimeSpan.FromMilliseconds(200);
        retry.MaxDelay = TimeSpan.FromSeconds(2);
        retry.Mode = RetryMode.Exponential;
        retry.NetworkTimeout = NetworkTimeout;
    }

    /// <summary>A user-assigned managed identity when a client id is given; otherwise whatever DefaultAzureCredential finds (az login locally).</summary>
    private static DefaultAzureCredential Credential(string? clientId) =>
        new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = string.IsNullOrWhiteSpace(clientId) ? null : clientId });
}
