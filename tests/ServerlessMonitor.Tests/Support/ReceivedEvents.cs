using ServerlessMonitor.Events;

namespace ServerlessMonitor.Tests.Support;

public sealed record ReceivedEvent(MonitorEvent Event, ReceivedRequest Request);

public static class ReceivedEvents
{
    /// <summary>The monitor events a receiver got as JSON bodies, optionally of one type, in order of arrival.</summary>
    public static List<ReceivedEvent> Events(this HttpReceiver receiver, string? type = null) =>
        [.. receiver.Requests
            .Select(r => new ReceivedEvent(EventSerializer.Deserialize(r.Body), r))
            .Where(e => type is null || e.Event.Type == type)];

    public static ReceivedEvent? FirstEvent(this HttpReceiver receiver, string type) => receiver.Events(type).FirstOrDefault();
}
