using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Text.RegularExpressions;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Alerts.Channels;
using ServerlessMonitor.Events;

namespace ServerlessMonitor.Alerts;

/// <summary>
/// Section <c>Alerts</c>: the channels (<c>Alerts:Channels:{name}:...</c>), which agents go to which channels
/// (<c>Alerts:Routes</c>), delivery behaviour and the outbound network policy. Validated at start-up, so a typo stops the
/// host with a message naming the setting instead of losing the first alert at 2 AM. See docs/alerts.md.
/// </summary>
public sealed partial class AlertOptions : IValidatableObject
{
    public const string SectionName = "Alerts";

    public static IReadOnlyList<TimeSpan> DefaultRetryDelays { get; } =
        [TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1)];

    public Dictionary<string, AlertChannelOptions> Channels { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public AlertRouteOptions Routes { get; set; } = new();

    /// <summary>Allow plain-http channel URLs. Off in Azure; local runs and the tests turn it on.</summary>
    public bool AllowHttp { get; set; }

    /// <summary>Allow channel endpoints in loopback, private, link-local and shared (CGNAT) address ranges, e.g. a self-hosted chat on the LAN.</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>CIDR networks allowed even though their range is refused by default (<c>127.0.0.0/8</c>, <c>10.20.0.0/16</c>). The only way to reach a cloud metadata address.</summary>
    public List<string> AllowedNetworks { get; set; } = [];

    /// <summary>
    /// How long a chat channel collects alerts before sending them as one message, so that a sweep that finds twenty
    /// agents down posts one message instead of twenty. Every chat alert waits this long; 0 sends each alert alone at once.
    /// </summary>
    [Range(0, 300, ErrorMessage = "Alerts:GroupingSeconds must be between 0 and 300.")]
    public int GroupingSeconds { get; set; } = 3;

    /// <summary>Remind the agent's channels every this many minutes while it stays down in the same incident; 0 = no reminders.</summary>
    [Range(0, 10_080, ErrorMessage = "Alerts:ReminderMinutes must be between 0 (off) and 10080 (a week).")]
    public int ReminderMinutes { get; set; }

    /// <summary>Pauses between attempts of one delivery; the last repeats. Unset: 5 s, 30 s, 2 min, 10 min, 30 min, then hourly.</summary>
    public List<TimeSpan>? RetryDelays { get; set; }

    /// <summary>A delivery still failing this long after its first attempt is given up (status <c>dead</c>).</summary>
    public TimeSpan GiveUpAfter { get; set; } = TimeSpan.FromHours(24);

    public IReadOnlyList<TimeSpan> EffectiveRetryDelays => RetryDelays is { Count: > 0 } delays ? delays : DefaultRetryDelays;

    /// <summary>The parsed <see cref="AllowedNetworks"/> (valid after start-up validation).</summary>
    public IReadOnlyList<IPNetwork> ParsedAllowedNetworks() =>
        [.. SplitList(AllowedNetworks).Select(n => IPNetwork.TryParse(n, out var network) ? network : (IPNetwork?)null).OfType<IPNetwork>()];

    /// <summary>List settings also accept one comma-separated value (<c>Alerts__Routes__Default=slack,ops</c>), which is handier in app settings.</summary>
    public static IReadOnlyList<string> SplitList(IEnumerable<string>? values) =>
        values is null ? [] : [.. values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (name, channel) in Channels)
        {
            foreach (var error in ValidateChannel(name, channel))
            {
                yield return new ValidationResult(error, [nameof(Channels)]);
            }
        }

        foreach (var unknown in SplitList(Routes.Default).Where(c => !Channels.ContainsKey(c)))
        {
            yield return new ValidationResult($"Alerts:Routes:Default names the channel '{unknown}', which is not configured under Alerts:Channels.", [nameof(Routes)]);
        }
        foreach (var (agent, channels) in Routes.Agents)
        {
            if (!AgentName.IsValid(agent))
            {
                yield return new ValidationResult($"Alerts:Routes:Agents:{agent}: '{agent}' is not a valid agent name.", [nameof(Routes)]);
            }
            foreach (var unknown in SplitList(channels).Where(c => !Channels.ContainsKey(c)))
            {
                yield return new ValidationResult($"Alerts:Routes:Agents:{agent} names the channel '{unknown}', which is not configured under Alerts:Channels.", [nameof(Routes)]);
            }
        }

        var networks = SplitList(AllowedNetworks);
        for (var i = 0; i < networks.Count; i++)
        {
            if (!IPNetwork.TryParse(networks[i], out _))
            {
                yield return new ValidationResult($"Alerts:AllowedNetworks:{i} ('{networks[i]}') is not a CIDR network such as 127.0.0.0/8 or fd12:3456::/48.", [nameof(AllowedNetworks)]);
            }
        }

        if (RetryDelays is not null && RetryDelays.Any(d => d <= TimeSpan.Zero || d > TimeSpan.FromDays(1)))
        {
            yield return new ValidationResult("Alerts:RetryDelays must be positive durations of at most a day (e.g. 00:00:05).", [nameof(RetryDelays)]);
        }
        if (GiveUpAfter <= TimeSpan.Zero || GiveUpAfter > TimeSpan.FromDays(7))
        {
            yield return new ValidationResult("Alerts:GiveUpAfter must be a positive duration of at most 7 days (default 1.00:00:00).", [nameof(GiveUpAfter)]);
        }
    }

    private IEnumerable<string> ValidateChannel(string name, AlertChannelOptions channel)
    {
        var setting = $"Alerts:Channels:{name}";
        if (!ChannelNamePattern().IsMatch(name))
        {
            yield return $"{setting}: the channel name must be 1-40 letters, digits, '-' or '_'.";
            yield break;
        }
        if (string.IsNullOrWhiteSpace(channel.Type))
        {
            yield return $"{setting}:Type is required: one of {string.Join(", ", AlertChannelTypes.All)}.";
            yield break;
        }
        var type = channel.Type.Trim().ToLowerInvariant();
        if (!AlertChannelTypes.All.Contains(type))
        {
            yield return $"{setting}:Type '{channel.Type}' is not a channel type; use one of {string.Join(", ", AlertChannelTypes.All)}.";
            yield break;
        }

        if (type is AlertChannelTypes.Telegram)
        {
            if (string.IsNullOrWhiteSpace(channel.BotToken))
            {
                yield return $"{setting}:BotToken is required for a telegram channel (the token @BotFather gave).";
            }
            if (string.IsNullOrWhiteSpace(channel.ChatId))
            {
                yield return $"{setting}:ChatId is required for a telegram channel (a numeric chat id or @channelname).";
            }
        }
        else if (type is AlertChannelTypes.PagerDuty)
        {
            if (string.IsNullOrWhiteSpace(channel.RoutingKey))
            {
                yield return $"{setting}:RoutingKey is required for a pagerduty channel (the Events API v2 integration key).";
            }
        }
        else if (UrlError($"{setting}:Url", channel.Url, required: true) is { } urlError)
        {
            yield return urlError;
        }

        if (type is AlertChannelTypes.Telegram or AlertChannelTypes.PagerDuty && UrlError($"{setting}:ApiBaseUrl", channel.ApiBaseUrl, required: false) is { } baseError)
        {
            yield return baseError;
        }

        if (type is AlertChannelTypes.Webhook)
        {
            foreach (var (key, secret) in new[] { ("Secret", channel.Secret), ("PreviousSecret", channel.PreviousSecret) })
            {
                if (!string.IsNullOrWhiteSpace(secret) && !StandardWebhookSignature.TryDecodeSecret(secret, out _))
                {
                    yield return $"{setting}:{key} must be 'whsec_' followed by the base64 of {StandardWebhookSignature.MinSecretBytes}-{StandardWebhookSignature.MaxSecretBytes} random bytes " +
                        "(e.g. \"whsec_$(openssl rand -base64 32)\").";
                }
            }
            if (string.IsNullOrWhiteSpace(channel.Secret) && !string.IsNullOrWhiteSpace(channel.PreviousSecret))
            {
                yield return $"{setting}:PreviousSecret is set without {setting}:Secret; rotate by moving the old secret to PreviousSecret and setting the new one as Secret.";
            }
        }

        var events = SplitList(channel.Events);
        foreach (var unknown in events.Where(e => !AlertEventTypes.Routable.Contains(e)))
        {
            yield return $"{setting}:Events names '{unknown}', which is not an event type; use any of {string.Join(", ", AlertEventTypes.Routable)}.";
        }
    }

    private string? UrlError(string setting, string? value, bool required)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return required ? $"{setting} is required." : null;
        }
        if (!Uri.TryCreate(value.Trim(), UriKind.Absolute, out var url) || url.Scheme is not ("https" or "http"))
        {
            // Never echo the value: channel URLs carry tokens.
            return $"{setting} is not an absolute http(s) URL (an unresolved Key Vault reference?).";
        }
        if (url.Scheme == Uri.UriSchemeHttp && !AllowHttp)
        {
            return $"{setting} must use https; plain http is refused unless Alerts:AllowHttp is true.";
        }
        return null;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$", RegexOptions.CultureInvariant)]
    private static partial Regex ChannelNamePattern();
}

/// <summary>
/// Which channels an agent's alerts go to. <c>Alerts:Routes:Agents:{agent}</c> lists the channels of one agent (instead
/// of the default route); <c>Alerts:Routes:Default</c> lists the channels of every other agent and of monitor-wide
/// events (<c>monitor.gap</c>); without it the default route is every channel.
/// </summary>
public sealed class AlertRouteOptions
{
    public List<string>? Default { get; set; }

    public Dictionary<string, List<string>> Agents { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>One channel, <c>Alerts:Channels:{name}</c>. Which settings apply depends on <see cref="Type"/>; docs/alerts.md has the table.</summary>
public sealed class AlertChannelOptions
{
    /// <summary><c>webhook</c>, <c>slack</c>, <c>telegram</c>, <c>teams</c>, <c>discord</c> or <c>pagerduty</c>.</summary>
    public string? Type { get; set; }

    /// <summary>The endpoint of webhook, slack, teams and discord channels. A secret: it carries the channel's token.</summary>
    public string? Url { get; set; }

    /// <summary>Webhook signing secret, <c>whsec_&lt;base64&gt;</c> (Standard Webhooks). Without it webhook requests are unsigned.</summary>
    public string? Secret { get; set; }

    /// <summary>The secret being rotated out: requests carry a signature with each, until consumers moved to <see cref="Secret"/>.</summary>
    public string? PreviousSecret { get; set; }

    public string? BotToken { get; set; }

    public string? ChatId { get; set; }

    public string? RoutingKey { get; set; }

    /// <summary>Telegram and PagerDuty API root (defaults https://api.telegram.org, https://events.pagerduty.com), for tests and relays.</summary>
    public string? ApiBaseUrl { get; set; }

    /// <summary>Event types this channel receives; empty means all.</summary>
    public List<string> Events { get; set; } = [];
}

/// <summary>The event types channels can subscribe to: the published ones plus the alerts' own reminder.</summary>
public static class AlertEventTypes
{
    /// <summary>A reminder that an agent is still down in the same incident (<c>Alerts:ReminderMinutes</c>). Produced by the alerts side only, never published on the topic.</summary>
    public const string AgentStillDown = "agent.still_down";

    public static IReadOnlySet<string> Routable { get; } = new HashSet<string>([.. EventTypes.All, AgentStillDown], StringComparer.Ordinal);

    public static bool IsOutage(string type) => type is EventTypes.AgentTimedOut or EventTypes.AgentFailed;
}
