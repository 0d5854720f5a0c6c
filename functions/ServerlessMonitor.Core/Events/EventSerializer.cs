using System.Text.Json;
using ServerlessMonitor.Json;

namespace ServerlessMonitor.Events;

public static class EventSerializer
{
    public static byte[] Serialize(MonitorEvent monitorEvent) =>
        JsonSerializer.SerializeToUtf8Bytes(monitorEvent, MonitorJsonContext.Default.MonitorEvent);

    /// <summary>Reads an event body; throws <see cref="InvalidEventException"/> for anything that is not a valid event, which no retry can fix.</summary>
    public static MonitorEvent Deserialize(ReadOnlySpan<byte> body)
    {
        MonitorEvent? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(body, MonitorJsonContext.Default.MonitorEvent);
        }
        catch (JsonException e)
        {
            throw new InvalidEventException($"The message is not a monitor event: {e.Message}", e);
        }
        if (parsed is null || string.IsNullOrEmpty(parsed.Id) || string.IsNullOrEmpty(parsed.Type))
        {
            throw new InvalidEventException("The message is not a monitor event: id and type are required.");
        }
        if (parsed.Version > MonitorEvent.CurrentVersion)
        {
            throw new InvalidEventException($"Event version {parsed.Version} is newer than this monitor understands ({MonitorEvent.CurrentVersion}).");
        }
        return parsed;
    }

    public static MonitorEvent Deserialize(string body) => Deserialize(System.Text.Encoding.UTF8.GetBytes(body));
}

public sealed class InvalidEventException(string message, Exception? inner = null) : Exception(message, inner);
