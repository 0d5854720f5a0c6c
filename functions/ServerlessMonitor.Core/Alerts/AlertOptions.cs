namespace ServerlessMonitor.Alerts;

/// <summary>Alert channels, section <c>Alerts</c>. Each channel is <c>Alerts:Channels:{name}:{Type,Url,...}</c>.</summary>
public sealed class AlertOptions
{
    public const string SectionName = "Alerts";

    public Dictionary<string, AlertChannelOptions> Channels { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Allow plain-http channel URLs. Off in Azure; the standalone host's local runs and the tests turn it on.</summary>
    public bool AllowHttp { get; set; }
}

public sealed class AlertChannelOptions
{
    /// <summary><c>webhook</c> (the only type of this release's pipeline).</summary>
    public string Type { get; set; } = "webhook";

    public Uri? Url { get; set; }

    /// <summary>Event types this channel receives; empty means all.</summary>
    public List<string> Events { get; set; } = [];
}
