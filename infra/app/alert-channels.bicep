// Alert channel configuration. Each secret the operator provides is stored in Key Vault and the app reads it
// through a Key Vault reference, so no secret value is ever an app setting. A channel whose parameter is
// empty gets no settings at all, so the app does not configure it.
// Setting names are the app's contract: Alerts__Channels__<channel>__<property>.

@description('Name of the existing Key Vault that holds the secrets.')
param keyVaultName string

@secure()
@description('Webhook URL for Standard Webhooks alert delivery; empty disables the webhook channel.')
param alertWebhookUrl string = ''

@secure()
@description('Signing secret for the webhook channel (Standard Webhooks "whsec_..." form); optional.')
param alertWebhookSecret string = ''

@secure()
@description('Slack incoming webhook URL; empty disables the Slack channel.')
param slackWebhookUrl string = ''

@secure()
@description('Telegram bot token; empty disables the Telegram channel.')
param telegramBotToken string = ''

@description('Telegram chat id the bot posts to (not a secret).')
param telegramChatId string = ''

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource webhookUrlSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(alertWebhookUrl)) {
  parent: vault
  name: 'alert-webhook-url'
  properties: {
    value: alertWebhookUrl
  }
}

resource webhookSigningSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(alertWebhookUrl) && !empty(alertWebhookSecret)) {
  parent: vault
  name: 'alert-webhook-secret'
  properties: {
    value: alertWebhookSecret
  }
}

resource slackUrlSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(slackWebhookUrl)) {
  parent: vault
  name: 'slack-webhook-url'
  properties: {
    value: slackWebhookUrl
  }
}

resource telegramTokenSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(telegramBotToken)) {
  parent: vault
  name: 'telegram-bot-token'
  properties: {
    value: telegramBotToken
  }
}

// Versionless secret URIs: the app picks up a rotated secret without a redeploy.
var webhookSettings = empty(alertWebhookUrl)
  ? []
  : [
      { name: 'Alerts__Channels__webhook__Type', value: 'webhook' }
      { name: 'Alerts__Channels__webhook__Url', value: '@Microsoft.KeyVault(SecretUri=${webhookUrlSecret!.properties.secretUri})' }
    ]

var webhookSigningSettings = empty(alertWebhookUrl) || empty(alertWebhookSecret)
  ? []
  : [
      { name: 'Alerts__Channels__webhook__Secret', value: '@Microsoft.KeyVault(SecretUri=${webhookSigningSecret!.properties.secretUri})' }
    ]

var slackSettings = empty(slackWebhookUrl)
  ? []
  : [
      { name: 'Alerts__Channels__slack__Type', value: 'slack' }
      { name: 'Alerts__Channels__slack__Url', value: '@Microsoft.KeyVault(SecretUri=${slackUrlSecret!.properties.secretUri})' }
    ]

var telegramSettings = empty(telegramBotToken)
  ? []
  : [
      { name: 'Alerts__Channels__telegram__Type', value: 'telegram' }
      { name: 'Alerts__Channels__telegram__BotToken', value: '@Microsoft.KeyVault(SecretUri=${telegramTokenSecret!.properties.secretUri})' }
      { name: 'Alerts__Channels__telegram__ChatId', value: telegramChatId }
    ]

@description('App settings ({name, value}) for the configured channels; values are Key Vault references, never secrets.')
output appSettings array = concat(webhookSettings, webhookSigningSettings, slackSettings, telegramSettings)
