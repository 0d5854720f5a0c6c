// The storage account: the Functions host's own storage (AzureWebJobsStorage), the deployment package
// container, and the monitor's tables. Shared keys are off, so every caller authenticates with Entra ID.

@description('Name of the storage account (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region for the storage account.')
param location string

@description('Tags applied to the storage account.')
param tags object = {}

@description('Blob container the Flex Consumption app is deployed from.')
param deploymentContainerName string

// The tables the app uses: must equal ServerlessMonitor.Storage.TableNames.All (a test keeps them in step).
// Created here so the app never needs table-create rights at runtime beyond what its role grants anyway.
var monitorTableNames = [
  'agents'
  'deadlines'
  'incidents'
  'commands'
  'deliveries'
  'hosts'
  'sweeper'
]

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
  }

  resource blobService 'blobServices' = {
    name: 'default'

    resource deploymentContainer 'containers' = {
      name: deploymentContainerName
      properties: {
        publicAccess: 'None'
      }
    }
  }

  resource tableService 'tableServices' = {
    name: 'default'

    resource tables 'tables' = [
      for tableName in monitorTableNames: {
        name: tableName
      }
    ]
  }
}

output name string = storage.name
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output tableEndpoint string = storage.properties.primaryEndpoints.table
output queueEndpoint string = storage.properties.primaryEndpoints.queue
