// Data-plane role assignments, each scoped to the one resource it is for (least privilege).
// The app identity gets what the app and the Functions host need; the deploying user (optional) gets the
// same, so the app can run locally against the cloud resources with that user's credential.
// Role ids are Azure built-in role definitions (the same in every tenant).

@description('Name of the Function App\'s user-assigned identity.')
param identityName string

@description('Object id of the deploying user or group; empty assigns nothing to it.')
param userPrincipalId string = ''

@description('Kind of principal userPrincipalId is.')
@allowed(['User', 'Group', 'ServicePrincipal'])
param userPrincipalType string = 'User'

@description('Name of the storage account.')
param storageAccountName string

@description('Name of the Service Bus namespace.')
param serviceBusNamespaceName string

@description('Name of the Key Vault.')
param keyVaultName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

var storageRoleIds = [
  'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner: host storage (locks, timer state), deployment package
  '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor: host storage queues
  '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor: the monitor's tables
]

var serviceBusRoleIds = [
  '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39' // Azure Service Bus Data Sender: the sweeper and planners publish events
  '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0' // Azure Service Bus Data Receiver: the subscription triggers
]

var keyVaultRoleIds = [
  '4633458b-17de-408a-b874-0445c86b69e6' // Key Vault Secrets User: resolve the alert channels' Key Vault references
]

var monitoringRoleIds = [
  '3913510d-42f4-4e42-8a64-420c390055eb' // Monitoring Metrics Publisher: send telemetry with Entra ID auth
]

var assignToUser = !empty(userPrincipalId)

resource appIdentity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' existing = {
  name: identityName
}

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource appStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoleIds: {
    name: guid(storage.id, appIdentity.id, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: appIdentity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource appServiceBusRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in serviceBusRoleIds: {
    name: guid(serviceBus.id, appIdentity.id, roleId)
    scope: serviceBus
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: appIdentity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource appKeyVaultRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in keyVaultRoleIds: {
    name: guid(vault.id, appIdentity.id, roleId)
    scope: vault
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: appIdentity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource appMonitoringRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in monitoringRoleIds: {
    name: guid(applicationInsights.id, appIdentity.id, roleId)
    scope: applicationInsights
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: appIdentity.properties.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource userStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in storageRoleIds: if (assignToUser) {
    name: guid(storage.id, userPrincipalId, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: userPrincipalId
      principalType: userPrincipalType
    }
  }
]

resource userServiceBusRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in serviceBusRoleIds: if (assignToUser) {
    name: guid(serviceBus.id, userPrincipalId, roleId)
    scope: serviceBus
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: userPrincipalId
      principalType: userPrincipalType
    }
  }
]

resource userKeyVaultRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in keyVaultRoleIds: if (assignToUser) {
    name: guid(vault.id, userPrincipalId, roleId)
    scope: vault
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: userPrincipalId
      principalType: userPrincipalType
    }
  }
]

resource userMonitoringRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in monitoringRoleIds: if (assignToUser) {
    name: guid(applicationInsights.id, userPrincipalId, roleId)
    scope: applicationInsights
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: userPrincipalId
      principalType: userPrincipalType
    }
  }
]
