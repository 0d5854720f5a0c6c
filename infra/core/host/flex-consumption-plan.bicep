// A Flex Consumption (FC1) plan: Linux, scales to zero, billed per execution and per GB-s while executing.

@description('Name of the App Service plan.')
param name string

@description('Azure region for the plan; must be a region that offers Flex Consumption.')
param location string

@description('Tags applied to the plan.')
param tags object = {}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // Linux is required for Flex Consumption.
    reserved: true
  }
}

output id string = plan.id
output name string = plan.name
