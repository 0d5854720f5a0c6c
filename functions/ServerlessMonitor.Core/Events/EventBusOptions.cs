using System.ComponentModel.DataAnnotations;

namespace ServerlessMonitor.Events;

/// <summary>
/// Names of the event topic and its subscriptions. These are top-level settings because the Functions triggers
/// reference them as binding expressions (<c>%EventsTopic%</c>, <c>%AlertsSubscription%</c>, <c>%RestartsSubscription%</c>).
/// The Service Bus connection itself is the section <c>ServiceBusConnection</c> (a connection string, or
/// <c>ServiceBusConnection__fullyQualifiedNamespace</c> with <c>__clientId</c>); without it the standalone host uses
/// Storage queues named after the subscriptions.
/// </summary>
public sealed class EventBusOptions
{
    public const string ConnectionSectionName = "ServiceBusConnection";

    [Required, RegularExpression("^[A-Za-z0-9][A-Za-z0-9._-]{0,259}$")]
    public string EventsTopic { get; set; } = "agent-events";

    [Required, RegularExpression("^[a-z0-9][a-z0-9-]{1,49}$")]
    public string AlertsSubscription { get; set; } = "alerts";

    [Required, RegularExpression("^[a-z0-9][a-z0-9-]{1,49}$")]
    public string RestartsSubscription { get; set; } = "restarts";
}
