// ServerlessMonitor: everything `azd up` provisions, in one resource group of the operator's subscription.
// Modules by concern: core/ holds reusable building blocks, app/ what is specific to this app.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; names the resource group and seeds the unique resource names.')
param environmentName string

@minLength(1)
@description('Azure region for all resources; must offer the Flex Consumption plan.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the deploying user (azd sets AZURE_PRINCIPAL_ID); gets data access for local debugging. Empty: none.')
param principalId string = ''

@description('Kind of principal principalId is: User for a person, ServicePrincipal when a pipeline deploys.')
@allowed(['User', 'Group', 'ServicePrincipal'])
param principalType string = 'User'

@description('Memory per Flex Consumption instance in MB (GB-s are billed at this size).')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Maximum number of instances the Function App scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('NCRONTAB schedule (six fields, with seconds) of the sweeper that finds silent agents.')
param sweepSchedule string = '*/10 * * * * *'

@description('Heartbeat timeout in seconds for agents that do not send their own.')
@minValue(10) // the app refuses timeouts shorter than Monitor:MinTimeoutSeconds (10 s): they would flap with the sweep
@maxValue(604800)
param defaultTimeoutSeconds int = 120

@description('Daily Log Analytics ingestion cap in GB, a guard against a runaway telemetry bill; -1: no cap. Telemetry past the cap is dropped until the next day.')
param logAnalyticsDailyCapGb int = -1

@description('Forbid purging the Key Vault before its soft-delete retention ends (recommended for production).')
param keyVaultPurgeProtection bool = false

@secure()
@description('Webhook URL for signed alert events (Standard Webhooks); empty disables the channel.')
param alertWebhookUrl string = ''

@secure()
@description('Signing secret for the webhook channel; optional.')
param alertWebhookSecret string = ''

@secure()
@description('Slack incoming webhook URL; empty disables the channel.')
param slackWebhookUrl string = ''

@secure()
@description('Telegram bot token; empty disables the channel.')
param telegramBotToken string = ''

@description('Telegram chat id the bot posts alerts to.')
param telegramChatId string = ''

var abbrs = loadJsonContent('abbreviations.json')
// Stable per subscription, environment and region, so re-running `azd up` updates rather than duplicates.
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var names = {
  identity: '${abbrs.managedIdentityUserAssignedIdentities}${resourceToken}'
  logAnalytics: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
  applicationInsights: '${abbrs.insightsComponents}${resourceToken}'
  storage: '${abbrs.storageStorageAccounts}${resourceToken}'
  deploymentContainer: 'app-package-${resourceToken}'
  serviceBus: '${abbrs.serviceBusNamespaces}${resourceToken}'
  keyVault: '${abbrs.keyVaultVaults}${resourceToken}'
  plan: '${abbrs.webServerFarms}${resourceToken}'
  functionApp: '${abbrs.webSitesFunctions}${resourceToken}'
}

resource resourceGroup 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'core/identity/user-assigned-identity.bicep' = {
  name: 'identity'
  scope: resourceGroup
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module monitoring 'core/monitor/monitoring.bicep' = {
  name: 'monitoring'
  scope: resourceGroup
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: tags
    dailyQuotaGb: logAnalyticsDailyCapGb
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: resourceGroup
  params: {
    name: names.storage
    location: location
    tags: tags
    deploymentContainerName: names.deploymentContainer
  }
}

module messaging 'app/messaging.bicep' = {
  name: 'messaging'
  scope: resourceGroup
  params: {
    namespaceName: names.serviceBus
    location: location
    tags: tags
  }
}

module keyVault 'core/security/key-vault.bicep' = {
  name: 'keyVault'
  scope: resourceGroup
  params: {
    name: names.keyVault
    location: location
    tags: tags
    enablePurgeProtection: keyVaultPurgeProtection
  }
}

module alertChannels 'app/alert-channels.bicep' = {
  name: 'alertChannels'
  scope: resourceGroup
  params: {
    keyVaultName: names.keyVault
    alertWebhookUrl: alertWebhookUrl
    alertWebhookSecret: alertWebhookSecret
    slackWebhookUrl: slackWebhookUrl
    telegramBotToken: telegramBotToken
    telegramChatId: telegramChatId
  }
  // Names are passed as known values (What-If can then predict the secrets), so the order is explicit.
  dependsOn: [
    keyVault
  ]
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: resourceGroup
  params: {
    identityName: names.identity
    userPrincipalId: principalId
    userPrincipalType: principalType
    storageAccountName: names.storage
    serviceBusNamespaceName: names.serviceBus
    keyVaultName: names.keyVault
    applicationInsightsName: names.applicationInsights
  }
  // Names are passed as known values (What-If can then predict the assignments), so the order is explicit.
  dependsOn: [
    identity
    storage
    messaging
    keyVault
    monitoring
  ]
}

module plan 'core/host/flex-consumption-plan.bicep' = {
  name: 'plan'
  scope: resourceGroup
  params: {
    name: names.plan
    location: location
    tags: tags
  }
}

module functionApp 'app/function-app.bicep' = {
  name: 'functionApp'
  scope: resourceGroup
  params: {
    name: names.functionApp
    location: location
    tags: tags
    planId: plan.outputs.id
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: names.deploymentContainer
    serviceBusFullyQualifiedNamespace: messaging.outputs.fullyQualifiedNamespace
    eventsTopicName: messaging.outputs.eventsTopicName
    alertsSubscriptionName: messaging.outputs.alertsSubscriptionName
    restartsSubscriptionName: messaging.outputs.restartsSubscriptionName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    sweepSchedule: sweepSchedule
    defaultTimeoutSeconds: defaultTimeoutSeconds
    alertChannelSettings: alertChannels.outputs.appSettings
  }
  // Start the app only once its identity can reach storage, Service Bus and Key Vault.
  dependsOn: [
    rbac
  ]
}

// azd prints these after `azd up` and stores them in the environment (.azure/<env>/.env).
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = resourceGroup.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output FUNCTION_BASE_URL string = 'https://${functionApp.outputs.defaultHostName}/api'
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output MONITOR_STORAGE_TABLE_ENDPOINT string = storage.outputs.tableEndpoint
output AZURE_SERVICE_BUS_NAMESPACE string = messaging.outputs.namespaceName
output SERVICE_BUS_FULLY_QUALIFIED_NAMESPACE string = messaging.outputs.fullyQualifiedNamespace
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
// How to read the function key the agents and the restart agent's admin calls use.
output GET_FUNCTION_KEY_COMMAND string = 'az functionapp keys list --resource-group ${resourceGroup.name} --name ${functionApp.outputs.name} --query functionKeys.default --output tsv'
