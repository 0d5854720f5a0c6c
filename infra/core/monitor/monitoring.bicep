// Log Analytics workspace plus a workspace-based Application Insights component.
// Local (instrumentation-key) authentication is disabled: telemetry is accepted only from Entra ID
// identities holding Monitoring Metrics Publisher on the component.

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Azure region for the monitoring resources.')
param location string

@description('Tags applied to the monitoring resources.')
param tags object = {}

@description('Days Log Analytics keeps data; 30 is the period included in the ingestion price.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Daily ingestion cap in GB for the workspace, a guard against a runaway log bill; -1 means no cap.')
param dailyQuotaGb int = -1

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    workspaceCapping: {
      dailyQuotaGb: dailyQuotaGb
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

output applicationInsightsName string = applicationInsights.name
// The connection string only says where to send telemetry; with local auth disabled it grants nothing.
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString
output logAnalyticsName string = logAnalytics.name
