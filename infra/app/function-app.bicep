// The Function App on Flex Consumption. Every connection is identity-based (the user-assigned identity);
// no connection string or key is ever placed in an app setting.

@description('Name of the Function App.')
param name string

@description('Azure region for the Function App.')
param location string

@description('Tags applied to the Function App (the azd service tag is added here).')
param tags object = {}

@description('Resource id of the Flex Consumption plan.')
param planId string

@description('Resource id of the user-assigned identity the app runs as.')
param identityId string

@description('Client id of that identity; identity-based connections name it so the right identity is used.')
param identityClientId string

@description('Name of the storage account used as AzureWebJobsStorage and for the deployment package.')
param storageAccountName string

@description('Blob endpoint of the storage account (https://<account>.blob.<suffix>/).')
param storageBlobEndpoint string

@description('Table endpoint of the storage account; the monitor keeps its state there.')
param storageTableEndpoint string

@description('Blob container the deployment package is uploaded to.')
param deploymentContainerName string

@description('Service Bus host name, e.g. <namespace>.servicebus.windows.net.')
param serviceBusFullyQualifiedNamespace string

@description('Topic the sweeper publishes agent events to.')
param eventsTopicName string

@description('Subscription the alert router consumes.')
param alertsSubscriptionName string

@description('Subscription the restart planner consumes.')
param restartsSubscriptionName string

@description('Application Insights connection string (an endpoint, not a credential: local auth is disabled).')
param applicationInsightsConnectionString string

@description('Memory per instance in MB; also the unit of GB-s billing.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int

@description('Upper bound on instances the app scales out to; caps the bill under a traffic spike.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('NCRONTAB schedule (with seconds) of the sweeper.')
param sweepSchedule string

@description('Heartbeat timeout in seconds for agents that do not send their own.')
@minValue(10)
@maxValue(604800)
param defaultTimeoutSeconds int

@description('App settings of the configured alert channels (Key Vault references).')
param alertChannelSettings array = []

// The app's configuration contract. Names are read by the Functions host and the app; a test checks that
// every %Setting% and connection the triggers use is here.
var coreAppSettings = [
  // Host storage, identity-based.
  { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
  // Telemetry through Entra ID, since the component accepts no instrumentation-key-only ingestion.
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: applicationInsightsConnectionString }
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
  // Any DefaultAzureCredential in the process picks the app's identity rather than guessing.
  { name: 'AZURE_CLIENT_ID', value: identityClientId }
  // The monitor's own tables.
  { name: 'MonitorStorage__tableServiceUri', value: storageTableEndpoint }
  { name: 'MonitorStorage__clientId', value: identityClientId }
  // Service Bus, identity-based.
  { name: 'ServiceBusConnection__fullyQualifiedNamespace', value: serviceBusFullyQualifiedNamespace }
  { name: 'ServiceBusConnection__credential', value: 'managedidentity' }
  { name: 'ServiceBusConnection__clientId', value: identityClientId }
  { name: 'EventsTopic', value: eventsTopicName }
  { name: 'AlertsSubscription', value: alertsSubscriptionName }
  { name: 'RestartsSubscription', value: restartsSubscriptionName }
  // Behaviour.
  { name: 'SweepSchedule', value: sweepSchedule }
  { name: 'Monitor__DefaultTimeoutSeconds', value: string(defaultTimeoutSeconds) }
  { name: 'Alerts__AllowHttp', value: 'false' }
]

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  // azd finds the app to deploy the `functions` service of azure.yaml by this tag.
  tags: union(tags, { 'azd-service-name': 'functions' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: planId
    httpsOnly: true
    // Key Vault references resolve with this identity (it holds Key Vault Secrets User on the vault).
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: concat(coreAppSettings, alertChannelSettings)
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

output name string = functionApp.name
output defaultHostName string = functionApp.properties.defaultHostName
