using System.Text.Json;
using System.Text.RegularExpressions;

namespace ServerlessMonitor.Tests.Infra;

/// <summary>
/// What an operator gets from `azd up` is secure without extra steps: no keys or connection strings anywhere,
/// every data-plane call authorised by a role on the app's managed identity, secrets only in Key Vault.
/// </summary>
public sealed partial class SecureByDefaultTests
{
    private static readonly CompiledTemplate Template = CompiledTemplate.Main;

    // Azure built-in role definition ids (identical in every tenant).
    private const string StorageBlobDataOwner = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b";
    private const string StorageQueueDataContributor = "974c5e8b-45b9-4653-ba55-5f855dd0fb88";
    private const string StorageTableDataContributor = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3";
    private const string ServiceBusDataSender = "69a216fc-b8fb-44d8-bc22-1f3c2cd27a39";
    private const string ServiceBusDataReceiver = "4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0";
    private const string KeyVaultSecretsUser = "4633458b-17de-408a-b874-0445c86b69e6";
    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";

    /// <summary>Each data-plane service the app touches: the resource type the role is scoped to and the role.</summary>
    private static readonly (string Service, string ScopeType, string RoleId)[] RequiredDataRoles =
    [
        ("blob (host storage, deployment package)", "Microsoft.Storage/storageAccounts", StorageBlobDataOwner),
        ("queue (host storage)", "Microsoft.Storage/storageAccounts", StorageQueueDataContributor),
        ("table (monitor state)", "Microsoft.Storage/storageAccounts", StorageTableDataContributor),
        ("Service Bus send", "Microsoft.ServiceBus/namespaces", ServiceBusDataSender),
        ("Service Bus receive", "Microsoft.ServiceBus/namespaces", ServiceBusDataReceiver),
        ("Key Vault references", "Microsoft.KeyVault/vaults", KeyVaultSecretsUser),
        ("Application Insights ingestion", "Microsoft.Insights/components", MonitoringMetricsPublisher),
    ];

    [Fact]
    public void TemplateContainsNoConnectionStringOrAccountKey()
    {
        var findings = new List<string>();
        foreach (var forbidden in new[] { "listKeys", "listConnectionStrings", "listAuthRules", "AccountKey=", "SharedAccessKey" })
        {
            if (Template.Json.Contains(forbidden, StringComparison.OrdinalIgnoreCase))
            {
                findings.Add($"'{forbidden}' appears in the template");
            }
        }

        // Application Insights' "connection string" is only an ingestion endpoint (local auth is disabled).
        findings.AddRange(PropertyNames(Template.Root)
            .Concat(Template.AlwaysPresentAppSettings.Keys)
            .Concat(Template.ConditionalAppSettingNames)
            .Where(name => name.Contains("connectionstring", StringComparison.OrdinalIgnoreCase)
                || name.Contains("connection_string", StringComparison.OrdinalIgnoreCase))
            .Where(name => !name.Contains("applicationinsights", StringComparison.OrdinalIgnoreCase))
            .Distinct()
            .Select(name => $"'{name}' looks like a connection string"));

        Assert.True(findings.Count == 0, string.Join('\n', findings));
    }

    [Fact]
    public void ConnectionsAreIdentityBasedAndNeverABareConnectionStringSetting()
    {
        var settings = Template.AlwaysPresentAppSettings;

        foreach (var connection in new[] { "AzureWebJobsStorage", "MonitorStorage", "ServiceBusConnection" })
        {
            Assert.False(settings.ContainsKey(connection), $"App setting '{connection}' would hold a connection string; use {connection}__* identity settings.");
        }

        Assert.True(settings.ContainsKey("AzureWebJobsStorage__clientId") && settings.ContainsKey("ServiceBusConnection__clientId") && settings.ContainsKey("MonitorStorage__clientId"),
            "Each identity-based connection must name the user-assigned identity's client id.");
    }

    [Fact]
    public void AppIdentityHasADataRoleForEveryServiceTheAppTouches()
    {
        var granted = RoleGrants(principalType: "ServicePrincipal");

        Assert.All(granted, grant => Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", grant.Principal, StringComparison.Ordinal));
        var missing = RequiredDataRoles
            .Where(required => !granted.Any(grant => grant.ScopeType == required.ScopeType && grant.RoleIds.Contains(required.RoleId)))
            .Select(required => $"{required.Service}: role {required.RoleId} on {required.ScopeType}")
            .ToList();
        Assert.True(missing.Count == 0, "The app identity lacks:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void DeployingUserGetsTheSameDataRolesOnlyWhenAPrincipalIdIsGiven()
    {
        var userGrants = RoleGrants(principalType: null)
            .Where(grant => grant.Principal.Contains("userPrincipalId", StringComparison.Ordinal))
            .ToList();

        Assert.All(userGrants, grant => Assert.True(grant.Conditional, $"A role assignment for the deploying user on {grant.ScopeType} is not conditional on principalId being set."));
        var missing = RequiredDataRoles
            .Where(required => !userGrants.Any(grant => grant.ScopeType == required.ScopeType && grant.RoleIds.Contains(required.RoleId)))
            .Select(required => required.Service)
            .ToList();
        Assert.True(missing.Count == 0, "The deploying user cannot debug locally against: " + string.Join(", ", missing));

        var principalType = Template.Root.GetProperty("parameters").GetProperty("principalType");
        Assert.Equal("User", principalType.GetProperty("defaultValue").GetString());
    }

    [Fact]
    public void AlertChannelSecretsReachTheAppOnlyAsKeyVaultReferences()
    {
        var parameters = Template.Root.GetProperty("parameters");
        foreach (var secret in new[] { "alertWebhookUrl", "alertWebhookSecret", "slackWebhookUrl", "telegramBotToken" })
        {
            Assert.Equal("securestring", parameters.GetProperty(secret).GetProperty("type").GetString());
            Assert.Equal("", parameters.GetProperty(secret).GetProperty("defaultValue").GetString());
        }

        string[] channelSettings =
        [
            "Alerts__Channels__webhook__Type", "Alerts__Channels__webhook__Url", "Alerts__Channels__webhook__Secret",
            "Alerts__Channels__slack__Type", "Alerts__Channels__slack__Url",
            "Alerts__Channels__telegram__Type", "Alerts__Channels__telegram__BotToken", "Alerts__Channels__telegram__ChatId",
        ];
        var conditional = Template.ConditionalAppSettingNames;
        Assert.All(channelSettings, name => Assert.Contains(name, conditional));
        Assert.DoesNotContain(Template.AlwaysPresentAppSettings.Keys, name => name.StartsWith("Alerts__Channels__", StringComparison.Ordinal));

        var keyVaultReferences = KeyVaultReferenceSetting().Matches(Template.Json).Select(match => match.Groups["name"].Value).ToHashSet();
        Assert.Equal(
            ["Alerts__Channels__slack__Url", "Alerts__Channels__telegram__BotToken", "Alerts__Channels__webhook__Secret", "Alerts__Channels__webhook__Url"],
            keyVaultReferences.Order(StringComparer.Ordinal));

        var site = Template.FunctionApp.Resource.GetProperty("properties");
        Assert.Equal(
            site.GetProperty("functionAppConfig").GetProperty("deployment").GetProperty("storage").GetProperty("authentication").GetProperty("userAssignedIdentityResourceId").GetString(),
            site.GetProperty("keyVaultReferenceIdentity").GetString());

        var vault = Assert.Single(Template.Resources("Microsoft.KeyVault/vaults")).Resource.GetProperty("properties");
        Assert.True(vault.GetProperty("enableRbacAuthorization").GetBoolean(), "Key Vault must use Azure RBAC, not access policies.");
        Assert.True(vault.GetProperty("enableSoftDelete").GetBoolean(), "Key Vault soft delete must be on.");
    }

    [Fact]
    public void StorageServiceBusAndApplicationInsightsRefuseKeyBasedAccess()
    {
        var storage = Assert.Single(Template.Resources("Microsoft.Storage/storageAccounts")).Resource.GetProperty("properties");
        Assert.False(storage.GetProperty("allowSharedKeyAccess").GetBoolean(), "Storage must not accept account keys.");
        Assert.False(storage.GetProperty("allowBlobPublicAccess").GetBoolean(), "Storage must not allow anonymous blob access.");
        Assert.Equal("TLS1_2", storage.GetProperty("minimumTlsVersion").GetString());

        var serviceBus = Assert.Single(Template.Resources("Microsoft.ServiceBus/namespaces")).Resource;
        Assert.True(serviceBus.GetProperty("properties").GetProperty("disableLocalAuth").GetBoolean(), "Service Bus must not accept SAS keys.");
        Assert.Equal("Standard", serviceBus.GetProperty("sku").GetProperty("name").GetString());

        var applicationInsights = Assert.Single(Template.Resources("Microsoft.Insights/components")).Resource.GetProperty("properties");
        Assert.True(applicationInsights.GetProperty("DisableLocalAuth").GetBoolean(), "Application Insights must accept only Entra ID authenticated telemetry.");
        Assert.True(applicationInsights.TryGetProperty("WorkspaceResourceId", out _), "Application Insights must be workspace-based.");
    }

    [Fact]
    public void FunctionAppRunsDotnetIsolated10OnFlexConsumptionDeployedThroughItsIdentity()
    {
        var plan = Assert.Single(Template.Resources("Microsoft.Web/serverfarms")).Resource;
        Assert.Equal("FC1", plan.GetProperty("sku").GetProperty("name").GetString());
        Assert.True(plan.GetProperty("properties").GetProperty("reserved").GetBoolean(), "Flex Consumption runs on Linux (reserved: true).");

        var (site, _) = Template.FunctionApp;
        Assert.Equal("functionapp,linux", site.GetProperty("kind").GetString());
        var properties = site.GetProperty("properties");
        Assert.True(properties.GetProperty("httpsOnly").GetBoolean());
        var config = properties.GetProperty("functionAppConfig");
        Assert.Equal("dotnet-isolated", config.GetProperty("runtime").GetProperty("name").GetString());
        Assert.Equal("10.0", config.GetProperty("runtime").GetProperty("version").GetString());
        var deployment = config.GetProperty("deployment").GetProperty("storage");
        Assert.Equal("blobContainer", deployment.GetProperty("type").GetString());
        Assert.Equal("UserAssignedIdentity", deployment.GetProperty("authentication").GetProperty("type").GetString());
        Assert.True(config.GetProperty("scaleAndConcurrency").TryGetProperty("instanceMemoryMB", out _));
        Assert.True(config.GetProperty("scaleAndConcurrency").TryGetProperty("maximumInstanceCount", out _));

        var parameters = Template.Root.GetProperty("parameters");
        Assert.Equal(2048, parameters.GetProperty("instanceMemoryMB").GetProperty("defaultValue").GetInt32());
        Assert.True(parameters.TryGetProperty("maximumInstanceCount", out _), "The instance cap must be a parameter.");
    }

    [Fact]
    public void OutputsGiveTheOperatorTheFunctionUrlResourceNamesAndTheFunctionKeyCommand()
    {
        var outputs = Template.Root.GetProperty("outputs");
        foreach (var name in new[]
        {
            "FUNCTION_BASE_URL", "AZURE_RESOURCE_GROUP", "AZURE_FUNCTION_APP_NAME", "AZURE_STORAGE_ACCOUNT_NAME",
            "AZURE_SERVICE_BUS_NAMESPACE", "AZURE_KEY_VAULT_NAME", "GET_FUNCTION_KEY_COMMAND",
        })
        {
            Assert.True(outputs.TryGetProperty(name, out _), $"Output {name} is missing.");
        }

        Assert.Matches(@"^\[format\('https://\{0\}/api'", outputs.GetProperty("FUNCTION_BASE_URL").GetProperty("value").GetString());
        Assert.Contains("az functionapp keys list", outputs.GetProperty("GET_FUNCTION_KEY_COMMAND").GetProperty("value").GetString(), StringComparison.Ordinal);
    }

    private sealed record RoleGrant(string ScopeType, IReadOnlySet<string> RoleIds, string Principal, bool Conditional);

    /// <summary>
    /// Role assignments in the template, optionally only those with a literal principalType. A loop's role ids
    /// come from the variable its roleDefinitionId indexes into.
    /// </summary>
    private static List<RoleGrant> RoleGrants(string? principalType) =>
        [.. Template.Resources("Microsoft.Authorization/roleAssignments")
            .Where(pair => principalType is null || pair.Resource.GetProperty("properties").GetProperty("principalType").GetString() == principalType)
            .Select(pair =>
            {
                var properties = pair.Resource.GetProperty("properties");
                var roleDefinition = properties.GetProperty("roleDefinitionId").GetString()!;
                var roleText = roleDefinition + string.Concat(CompiledTemplate.VariableNames(roleDefinition)
                    .Select(variable => pair.Template.GetProperty("variables").GetProperty(variable).GetRawText()));
                var scope = pair.Resource.TryGetProperty("scope", out var scopeValue) ? scopeValue.GetString()! : "";
                return new RoleGrant(
                    ScopeType: ScopeResourceType().Match(scope).Groups["type"].Value,
                    RoleIds: RoleId().Matches(roleText).Select(match => match.Value).ToHashSet(StringComparer.OrdinalIgnoreCase),
                    Principal: properties.GetProperty("principalId").GetString()!,
                    Conditional: pair.Resource.TryGetProperty("condition", out _));
            })];

    private static IEnumerable<string> PropertyNames(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.EnumerateObject().SelectMany(property => PropertyNames(property.Value).Prepend(property.Name)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(PropertyNames),
        _ => [],
    };

    [GeneratedRegex(@"resourceId\('(?<type>[^']+)'")]
    private static partial Regex ScopeResourceType();

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", RegexOptions.IgnoreCase)]
    private static partial Regex RoleId();

    [GeneratedRegex(@"createObject\('name', '(?<name>[^']+)', 'value', format\('@Microsoft\.KeyVault\(SecretUri=\{0\}\)'")]
    private static partial Regex KeyVaultReferenceSetting();
}
