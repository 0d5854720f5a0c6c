using Microsoft.Extensions.Options;
using ServerlessMonitor.Alerts.Channels;
using ServerlessMonitor.Events;

namespace ServerlessMonitor.Alerts;

/// <summary>
/// Which channels an event goes to: the agent's route (<c>Alerts:Routes:Agents:{agent}</c>) or else the default route
/// (<c>Alerts:Routes:Default</c>, all channels when unset), narrowed by each channel's <c>Events</c> filter and by what the
/// channel handles at all. Events without an agent (<c>monitor.gap</c>) take the default route.
/// </summary>
public sealed class AlertRouter
{
    private readonly AlertChannels _channels;
    private readonly IReadOnlyList<IAlertChannel> _defaultRoute;
    private readonly Dictionary<string, IReadOnlyList<IAlertChannel>> _agentRoutes;
    private readonly Dictionary<string, IReadOnlySet<string>> _eventFilters;

    public AlertRouter(AlertChannels channels, IOptions<AlertOptions> options)
    {
        _channels = channels;
        var settings = options.Value;
        _defaultRoute = settings.Routes.Default is null ? [.. channels.All] : Resolve(settings.Routes.Default);
        _agentRoutes = settings.Routes.Agents.ToDictionary(r => r.Key, r => Resolve(r.Value), StringComparer.OrdinalIgnoreCase);
        _eventFilters = settings.Channels.ToDictionary(
            c => c.Key,
            c => (IReadOnlySet<string>)new HashSet<string>(AlertOptions.SplitList(c.Value.Events), StringComparer.Ordinal),
            StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyList<IAlertChannel> ChannelsFor(MonitorEvent monitorEvent)
    {
        var route = monitorEvent.Agent is { } agent && _agentRoutes.TryGetValue(agent, out var agentRoute) ? agentRoute : _defaultRoute;
        return [.. route.Where(channel => Wants(channel, monitorEvent.Type) && channel.Covers(monitorEvent.Type))];
    }

    /// <summary>An empty filter takes everything. A reminder goes wherever the outage it reminds of went.</summary>
    private bool Wants(IAlertChannel channel, string type)
    {
        var filter = _eventFilters.GetValueOrDefault(channel.Name);
        return filter is null || filter.Count == 0 || filter.Contains(type)
            || (type == AlertEventTypes.AgentStillDown && (filter.Contains(EventTypes.AgentTimedOut) || filter.Contains(EventTypes.AgentFailed)));
    }

    private IReadOnlyList<IAlertChannel> Resolve(IEnumerable<string> names) =>
        [.. AlertOptions.SplitList(names).Select(_channels.Find).OfType<IAlertChannel>().Distinct()];
}
