using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ServerlessMonitor.Events;
using ServerlessMonitor.Json;

namespace ServerlessMonitor.Alerts.Channels;

public enum AlertTone
{
    Down,
    Up,
    Warning,
    Info,
}

public sealed record AlertFact(string Label, string Value);

/// <summary>A block of monospaced text, such as the container's last log lines.</summary>
public sealed record AlertPreformatted(string Label, string Text);

/// <summary>What a chat message says about one event, independent of any chat's markup.</summary>
public sealed record AlertCard
{
    public required string Title { get; init; }
    public string? Summary { get; init; }
    public IReadOnlyList<AlertFact> Facts { get; init; } = [];
    /// <summary>What the monitor is doing about it: restarting, alerting only, giving up.</summary>
    public string? Action { get; init; }
    public IReadOnlyList<AlertPreformatted> Preformatted { get; init; } = [];
    public AlertTone Tone { get; init; }
    /// <summary>Ids to quote when asking about the alert.</summary>
    public required string Footer { get; init; }
    public DateTimeOffset Time { get; init; }
}

/// <summary>Several alerts that arrived together, as one message.</summary>
public sealed record AlertDigest(string Title, AlertTone Tone, IReadOnlyList<AlertCard> Items);

/// <summary>
/// Turns events into what people read at 2 AM: what happened, since when, the last heartbeat and its message,
/// host and container, the downtime on recovery, and what the monitor does about it. Shared by the chat channels.
/// Details it does not know by name (added by newer publishers) are shown too, with a label made from their name.
/// </summary>
public static class AlertFormatter
{
    public const int MaxPreformattedChars = 1500;
    private const int MaxPreformattedLines = 25;

    /// <summary>Detail fields rendered by <see cref="Card"/> itself; any other present detail becomes a generic fact.</summary>
    private static readonly HashSet<string> KnownDetails = new(StringComparer.Ordinal)
    {
        "summary", "lastHeartbeatAt", "lastMessage", "lastStatus", "deadline", "timeoutSeconds", "downSince",
        "recoveredAt", "downtimeSeconds", "recoveryAction", "gapStartedAt", "agentsGivenGrace", "commandId",
    };

    private static readonly Dictionary<string, string> Acronyms = new(StringComparer.OrdinalIgnoreCase)
    {
        ["id"] = "ID",
        ["oom"] = "OOM",
        ["url"] = "URL",
        ["http"] = "HTTP",
    };

    public static AlertCard Card(MonitorEvent e)
    {
        var d = e.Details;
        var agent = e.Agent ?? "(no agent)";
        var (title, tone) = e.Type switch
        {
            EventTypes.AgentTimedOut => ($"🔴 {agent} is down: no heartbeat", AlertTone.Down),
            EventTypes.AgentFailed => ($"🔴 {agent} reported a failure", AlertTone.Down),
            AlertEventTypes.AgentStillDown => ($"🔴 {agent} is still down" + (d.DownSince is { } since ? $" ({AgentEvents.FormatDuration((e.Time - since).TotalSeconds)})" : ""), AlertTone.Down),
            EventTypes.AgentRecovered => ($"🟢 {agent} recovered" + (d.DowntimeSeconds is { } s ? $" after {AgentEvents.FormatDuration(s)} of downtime" : ""), AlertTone.Up),
            EventTypes.RestartRequested => ($"🔄 Restarting {agent}", AlertTone.Info),
            EventTypes.RestartSucceeded => ($"✅ {agent} is back after a restart", AlertTone.Up),
            EventTypes.RestartFailed => ($"❌ Restarting {agent} failed", AlertTone.Down),
            EventTypes.RestartSuppressed => ($"⛔ {agent} will not be restarted automatically", AlertTone.Warning),
            EventTypes.MonitorGap => ("⚠️ The monitor missed sweeps", AlertTone.Warning),
            _ => ($"ℹ️ {e.Type}" + (e.Agent is null ? "" : $": {agent}"), AlertTone.Info),
        };

        var facts = new List<AlertFact>();
        void Add(string label, string? value)
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                facts.Add(new AlertFact(label, value));
            }
        }

        Add("Down since", d.DownSince is { } downSince ? Stamp(downSince) : null);
        Add("Last heartbeat", d.LastHeartbeatAt is { } beat ? $"{Stamp(beat)} ({AgentEvents.FormatDuration(Math.Max(0, (e.Time - beat).TotalSeconds))} before this alert)" : null);
        Add("Last message", d.LastMessage);
        Add("Last status", d.LastStatus);
        Add("Host", e.Host);
        Add("Container", e.Container);
        Add("Timeout", d.TimeoutSeconds is { } timeout && e.Type != EventTypes.AgentRecovered ? $"{timeout} s" : null);
        Add("Downtime", d.DowntimeSeconds is { } downtime ? AgentEvents.FormatDuration(downtime) : null);
        Add("Recovered at", d.RecoveredAt is { } recoveredAt ? Stamp(recoveredAt) : null);
        Add("Gap started", d.GapStartedAt is { } gap ? Stamp(gap) : null);
        Add("Agents given grace", d.AgentsGivenGrace?.ToString(CultureInfo.InvariantCulture));
        Add("Restart command", d.CommandId);

        var preformatted = new List<AlertPreformatted>();
        foreach (var (name, value) in OtherDetails(d))
        {
            var label = Humanize(name);
            if (value is string text && (text.Contains('\n', StringComparison.Ordinal) || name.EndsWith("Log", StringComparison.Ordinal) || name.EndsWith("Tail", StringComparison.Ordinal)))
            {
                preformatted.Add(new AlertPreformatted(label, Tail(text)));
            }
            else
            {
                Add(label, value as string ?? "");
            }
        }

        return new AlertCard
        {
            Title = title,
            Summary = d.Summary,
            Facts = facts,
            Action = ActionOf(e),
            Preformatted = preformatted,
            Tone = tone,
            Footer = e.IncidentId is { } incident ? $"incident {incident} · event {e.Id}" : $"event {e.Id}",
            Time = e.Time,
        };
    }

    public static AlertDigest Digest(IReadOnlyList<MonitorEvent> events)
    {
        var ordered = events.OrderBy(e => e.Time).ThenBy(e => e.Agent, StringComparer.Ordinal).ToList();
        var counts = ordered.GroupBy(e => CountLabel(e.Type)).Select(g => $"{g.Count()} {g.Key}");
        var cards = ordered.Select(Card).ToList();
        var tone = cards.Any(c => c.Tone == AlertTone.Down) ? AlertTone.Down
            : cards.Any(c => c.Tone == AlertTone.Warning) ? AlertTone.Warning
            : cards.All(c => c.Tone == AlertTone.Up) ? AlertTone.Up
            : AlertTone.Info;
        return new AlertDigest($"{Icon(tone)} {events.Count} alerts: {string.Join(", ", counts)}", tone, cards);
    }

    /// <summary>The card's facts on one line, for digests and other compact formats.</summary>
    public static string Brief(AlertCard card, int maxFacts = 6) =>
        string.Join(" · ", card.Facts.Take(maxFacts).Select(f => $"{f.Label}: {f.Value}").Concat(card.Action is null ? [] : [card.Action]));

    public static string Stamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Icon(AlertTone tone) => tone switch
    {
        AlertTone.Down => "🔴",
        AlertTone.Up => "🟢",
        AlertTone.Warning => "⚠️",
        _ => "ℹ️",
    };

    /// <summary>Cuts <paramref name="text"/> to <paramref name="max"/> characters, marking the cut.</summary>
    public static string Truncate(string text, int max) => text.Length <= max ? text : text[..Math.Max(0, max - 1)] + "…";

    private static string? ActionOf(MonitorEvent e) => e.Type switch
    {
        EventTypes.AgentTimedOut or EventTypes.AgentFailed or AlertEventTypes.AgentStillDown => e.Details.RecoveryAction switch
        {
            "restart" => "Action: restarting the container automatically.",
            "alert-only" => "Action: alert only, no automatic restart. Someone has to look.",
            _ => null,
        },
        EventTypes.RestartRequested => "Action: a restart command is waiting for the restart agent on the host.",
        EventTypes.RestartSucceeded => "Action: none needed, the agent heartbeats again after its restart.",
        EventTypes.RestartFailed => "Action: the next restart follows after the backoff, while the restart budget lasts.",
        EventTypes.RestartSuppressed => "Action: giving up on automatic restarts. Someone has to look.",
        EventTypes.MonitorGap => "Action: agents whose deadline passed during the gap got a fresh grace period.",
        _ => null,
    };

    /// <summary>Details beyond the ones rendered by name, in declaration order, as plain values.</summary>
    private static IEnumerable<(string Name, object Value)> OtherDetails(EventDetails details)
    {
        if (JsonSerializer.SerializeToNode(details, MonitorJsonContext.Default.EventDetails) is not JsonObject json)
        {
            yield break;
        }
        foreach (var (name, node) in json)
        {
            if (node is null || KnownDetails.Contains(name))
            {
                continue;
            }
            if (node is JsonValue value)
            {
                if (value.TryGetValue<bool>(out var flag))
                {
                    yield return (name, flag ? "yes" : "no");
                }
                else if (value.TryGetValue<string>(out var text))
                {
                    yield return (name, name.EndsWith("At", StringComparison.Ordinal) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at) ? Stamp(at) : text);
                }
                else
                {
                    yield return (name, value.ToJsonString());
                }
            }
            else
            {
                yield return (name, node.ToJsonString());
            }
        }
    }

    /// <summary><c>exitCode</c> becomes "Exit code", <c>oomKilled</c> "OOM killed".</summary>
    private static string Humanize(string name)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        foreach (var c in name)
        {
            if (char.IsUpper(c) && current.Length > 0)
            {
                words.Add(current.ToString());
                current.Clear();
            }
            current.Append(char.ToLowerInvariant(c));
        }
        if (current.Length > 0)
        {
            words.Add(current.ToString());
        }
        for (var i = 0; i < words.Count; i++)
        {
            if (Acronyms.TryGetValue(words[i], out var acronym))
            {
                words[i] = acronym;
            }
            else if (i == 0)
            {
                words[i] = char.ToUpperInvariant(words[i][0]) + words[i][1..];
            }
        }
        return string.Join(' ', words);
    }

    /// <summary>The end of a log is what explains a crash: keep the last lines.</summary>
    private static string Tail(string text)
    {
        var lines = text.TrimEnd().Split('\n');
        var tail = string.Join('\n', lines.Skip(Math.Max(0, lines.Length - MaxPreformattedLines)));
        return tail.Length <= MaxPreformattedChars ? tail : "…" + tail[^(MaxPreformattedChars - 1)..];
    }

    private static string CountLabel(string type) => type switch
    {
        EventTypes.AgentTimedOut or EventTypes.AgentFailed => "down",
        AlertEventTypes.AgentStillDown => "still down",
        EventTypes.AgentRecovered => "recovered",
        EventTypes.RestartRequested => "restarting",
        EventTypes.RestartSucceeded => "restarted",
        EventTypes.RestartFailed => "restart failed",
        EventTypes.RestartSuppressed => "not restarted",
        EventTypes.MonitorGap => "monitor gap",
        _ => type,
    };
}
