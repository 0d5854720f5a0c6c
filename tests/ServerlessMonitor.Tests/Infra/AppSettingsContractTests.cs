using System.Text.Json;
using ServerlessMonitor.Alerts;
using ServerlessMonitor.Events;
using ServerlessMonitor.Storage;

namespace ServerlessMonitor.Tests.Infra;

/// <summary>
/// The provisioned Function App has to start and bind on the first `azd up`: every setting its triggers resolve
/// must exist, and the Service Bus entities and tables must carry the names the app uses by default.
/// </summary>
public sealed class AppSettingsContractTests
{
    private static readonly CompiledTemplate Template = CompiledTemplate.Main;

    [Fact]
    public void EverySettingAndConnectionABindingUsesIsAnAppSettingTheTemplateAlwaysSets()
    {
        var settings = Template.AlwaysPresentAppSettings.Keys.ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.NotEmpty(FunctionBindings.All);

        var missing = new List<string>();
        foreach (var binding in FunctionBindings.All)
        {
            missing.AddRange(FunctionBindings.SettingReferences(binding)
                .Where(setting => !settings.Contains(setting))
                .Select(setting => $"{binding}: %{setting}% has no app setting"));

            if (binding.HasConnectionProperty)
            {
                var connection = binding.Property("Connection");
                if (string.IsNullOrEmpty(connection))
                {
                    missing.Add($"{binding}: Connection is not set, so the host would look for a default connection the template does not provision");
                }
                else if (!IsProvisionedConnection(connection, settings))
                {
                    missing.Add($"{binding}: connection '{connection}' has neither a '{connection}__fullyQualifiedNamespace' / '{connection}__accountName' / service URI setting nor a '{connection}' setting");
                }
            }
        }

        Assert.True(missing.Count == 0, "The Function App would fail to bind:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void SweeperAndEventConsumersBindToTheSettingsTheTemplateProvides()
    {
        // The contract between the app and infra/app/function-app.bicep: the sweep schedule and the Service Bus
        // names are settings (not literals), and the consumers use the identity-based ServiceBusConnection.
        var bindings = FunctionBindings.All;

        Assert.Contains(bindings, binding => binding.Kind == "TimerTriggerAttribute" && binding.Property("Schedule") == "%SweepSchedule%");
        foreach (var subscription in new[] { "%AlertsSubscription%", "%RestartsSubscription%" })
        {
            Assert.True(
                bindings.Any(binding => binding.Kind == "ServiceBusTriggerAttribute"
                    && binding.Property("TopicName") == "%EventsTopic%"
                    && binding.Property("SubscriptionName") == subscription
                    && binding.Property("Connection") == EventBusOptions.ConnectionSectionName),
                $"Expected a ServiceBusTrigger on topic %EventsTopic%, subscription {subscription}, Connection = {EventBusOptions.ConnectionSectionName}. " +
                $"Found: {string.Join("; ", bindings.Select(binding => binding.ToString()))}");
        }
    }

    [Fact]
    public void AlwaysPresentAppSettingsHoldTheContractedNamesAndFixedValues()
    {
        var settings = Template.AlwaysPresentAppSettings;

        string[] required =
        [
            "AzureWebJobsStorage__accountName", "AzureWebJobsStorage__credential", "AzureWebJobsStorage__clientId",
            "MonitorStorage__tableServiceUri", "MonitorStorage__clientId",
            "ServiceBusConnection__fullyQualifiedNamespace", "ServiceBusConnection__credential", "ServiceBusConnection__clientId",
            "EventsTopic", "AlertsSubscription", "RestartsSubscription",
            "SweepSchedule", "Monitor__DefaultTimeoutSeconds", "Alerts__AllowHttp",
            "APPLICATIONINSIGHTS_CONNECTION_STRING", "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
        ];
        var missing = required.Where(name => !settings.ContainsKey(name)).ToList();
        Assert.True(missing.Count == 0, $"Missing app settings: {string.Join(", ", missing)}");

        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"].GetString());
        Assert.Equal("managedidentity", settings["ServiceBusConnection__credential"].GetString());
        Assert.Equal("false", settings["Alerts__AllowHttp"].GetString());
        Assert.Contains("Authorization=AAD", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"].GetString(), StringComparison.Ordinal);
        Assert.Contains("identityClientId", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void SweepScheduleAndTimeoutDefaultsMatchTheDocumentedBehaviour()
    {
        var parameters = Template.Root.GetProperty("parameters");

        Assert.Equal("*/10 * * * * *", parameters.GetProperty("sweepSchedule").GetProperty("defaultValue").GetString());
        Assert.Equal(120, parameters.GetProperty("defaultTimeoutSeconds").GetProperty("defaultValue").GetInt32());
    }

    [Fact]
    public void ServiceBusTopicAndSubscriptionsCarryTheAppDefaultNames()
    {
        var defaults = new EventBusOptions();

        var topics = Template.Resources("Microsoft.ServiceBus/namespaces/topics")
            .SelectMany(pair => CompiledTemplate.LeafNames(pair.Resource, pair.Template));
        var subscriptions = Template.Resources("Microsoft.ServiceBus/namespaces/topics/subscriptions")
            .SelectMany(pair => CompiledTemplate.LeafNames(pair.Resource, pair.Template));

        Assert.Equal([defaults.EventsTopic], topics);
        Assert.Equal(
            new[] { defaults.AlertsSubscription, defaults.RestartsSubscription }.Order(StringComparer.Ordinal),
            subscriptions.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ServiceBusTopicDeduplicatesAndSubscriptionsDeadLetter()
    {
        var topic = Assert.Single(Template.Resources("Microsoft.ServiceBus/namespaces/topics")).Resource.GetProperty("properties");
        Assert.True(topic.GetProperty("requiresDuplicateDetection").GetBoolean(), "The topic must detect duplicates: the sweeper may publish an event twice.");
        Assert.True(topic.TryGetProperty("duplicateDetectionHistoryTimeWindow", out _), "The topic needs a duplicate detection window.");

        foreach (var (subscription, template) in Template.Resources("Microsoft.ServiceBus/namespaces/topics/subscriptions"))
        {
            var properties = subscription.GetProperty("properties");
            if (properties.ValueKind == JsonValueKind.String)
            {
                properties = template.GetProperty("variables").GetProperty(Assert.Single(CompiledTemplate.VariableNames(properties.GetString()!)));
            }

            Assert.Equal("PT1M", properties.GetProperty("lockDuration").GetString());
            Assert.True(properties.GetProperty("deadLetteringOnMessageExpiration").GetBoolean());
            Assert.True(properties.TryGetProperty("maxDeliveryCount", out _), "Subscriptions need a bounded maxDeliveryCount.");
        }
    }

    [Fact]
    public void RestartsSubscriptionDoesNotReceiveScheduledAlertWork()
    {
        var rule = Assert.Single(Template.Resources("Microsoft.ServiceBus/namespaces/topics/subscriptions/rules")).Resource;
        Assert.Contains("restarts", rule.GetProperty("name").GetString(), StringComparison.Ordinal);
        Assert.Equal("audience IS NULL", rule.GetProperty("properties").GetProperty("sqlFilter").GetProperty("sqlExpression").GetString());

        // What the filter keys on: scheduled alert work carries the property, events do not.
        var work = ServiceBusAlertWorkScheduler.ToMessage(AlertWorkItem.Create(new AlertWork { Kind = AlertWorkKind.Deliver }, DateTimeOffset.UnixEpoch));
        Assert.True(work.ApplicationProperties.ContainsKey("audience"));
        var outage = ServiceBusEventPublisher.ToMessage(new MonitorEvent { Id = "1", Type = EventTypes.AgentTimedOut, Time = DateTimeOffset.UnixEpoch });
        Assert.False(outage.ApplicationProperties.ContainsKey("audience"));
    }

    [Fact]
    public void StorageTablesAreExactlyTheTablesTheAppUses()
    {
        var tables = Template.Resources("Microsoft.Storage/storageAccounts/tableServices/tables")
            .SelectMany(pair => CompiledTemplate.LeafNames(pair.Resource, pair.Template));

        Assert.Equal(TableNames.All.Order(StringComparer.Ordinal), tables.Order(StringComparer.Ordinal));
    }

    private static bool IsProvisionedConnection(string connection, HashSet<string> settings) =>
        settings.Contains(connection)
        || settings.Contains($"{connection}__fullyQualifiedNamespace")
        || settings.Contains($"{connection}__accountName")
        || settings.Any(setting => setting.StartsWith($"{connection}__", StringComparison.OrdinalIgnoreCase)
            && setting.EndsWith("ServiceUri", StringComparison.OrdinalIgnoreCase));
}
