// Service Bus: the topic the sweeper publishes agent events to and one subscription per consumer.
// Standard tier is the cheapest with topics and duplicate detection; SAS keys are disabled.

@description('Name of the Service Bus namespace (6-50 characters).')
@minLength(6)
@maxLength(50)
param namespaceName string

@description('Azure region for the namespace.')
param location string

@description('Tags applied to the namespace.')
param tags object = {}

@description('How long Service Bus remembers a MessageId to drop a duplicate publish (ISO 8601 duration).')
param duplicateDetectionWindow string = 'PT1H'

@description('Deliveries before a message that keeps failing is dead-lettered.')
@minValue(1)
param maxDeliveryCount int = 10

// Both consumers settle quickly (an alert delivery or a table write), so a one-minute lock is plenty;
// an expired message is dead-lettered rather than silently dropped, so an outage never loses an event.
var subscriptionProperties = {
  lockDuration: 'PT1M'
  maxDeliveryCount: maxDeliveryCount
  deadLetteringOnMessageExpiration: true
  deadLetteringOnFilterEvaluationExceptions: true
  defaultMessageTimeToLive: 'P14D'
}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: namespaceName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }

  // Names below are the app's defaults (ServerlessMonitor.Events.EventBusOptions); a test keeps them in step.
  resource eventsTopic 'topics' = {
    name: 'agent-events'
    properties: {
      requiresDuplicateDetection: true
      duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow
      defaultMessageTimeToLive: 'P14D'
      enableBatchedOperations: true
    }

    resource alerts 'subscriptions' = {
      name: 'alerts'
      properties: subscriptionProperties
    }

    resource restarts 'subscriptions' = {
      name: 'restarts'
      properties: subscriptionProperties

      // Alert retries, grouped flushes and reminders are scheduled on the topic with audience=alerts; the restarts
      // side would only discard them, so they are not delivered to it at all.
      resource onlyEventsForEveryone 'rules' = {
        name: '$Default'
        properties: {
          filterType: 'SqlFilter'
          sqlFilter: {
            sqlExpression: 'audience IS NULL'
          }
        }
      }
    }
  }
}

output namespaceName string = namespace.name
// Host name only (no scheme or port), derived from the endpoint so it is right in every Azure cloud.
output fullyQualifiedNamespace string = split(split(namespace.properties.serviceBusEndpoint, '//')[1], ':')[0]
output eventsTopicName string = namespace::eventsTopic.name
output alertsSubscriptionName string = namespace::eventsTopic::alerts.name
output restartsSubscriptionName string = namespace::eventsTopic::restarts.name
