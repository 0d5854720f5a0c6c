using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace ServerlessMonitor.Alerts.Channels;

/// <summary>The configured channels by name, built once from the validated <see cref="AlertOptions"/>.</summary>
public sealed class AlertChannels
{
    public static readonly ProductInfoHeaderValue UserAgent = new("ServerlessMonitor", "1.0");

    private readonly Dictionary<string, IAlertChannel> _channels;

    public AlertChannels(IOptions<AlertOptions> options, AlertHttpSender sender, TimeProvider time)
    {
        _channels = new Dictionary<string, IAlertChannel>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, settings) in options.Value.Channels)
        {
            _channels[name] = Create(name, settings, sender, time);
        }
    }

    /// <summary>In configuration order.</summary>
    public IReadOnlyCollection<IAlertChannel> All => _channels.Values;

    public IAlertChannel? Find(string name) => _channels.GetValueOrDefault(name);

    public static IAlertChannel Create(string name, AlertChannelOptions settings, AlertHttpSender sender, TimeProvider time)
    {
        var type = settings.Type?.Trim().ToLowerInvariant();
        return type switch
        {
            AlertChannelTypes.Webhook => new WebhookChannel(name, Url(settings.Url), [.. new[] { settings.Secret, settings.PreviousSecret }.Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s!.Trim())], sender, time),
            AlertChannelTypes.Slack => new SlackChannel(name, Url(settings.Url), sender),
            AlertChannelTypes.Teams => new TeamsChannel(name, Url(settings.Url), sender),
            AlertChannelTypes.Discord => new DiscordChannel(name, Url(settings.Url), sender),
            AlertChannelTypes.Telegram => new TelegramChannel(name, BaseUrl(settings.ApiBaseUrl, TelegramChannel.DefaultApiBaseUrl), settings.BotToken!.Trim(), settings.ChatId!.Trim(), sender),
            AlertChannelTypes.PagerDuty => new PagerDutyChannel(name, BaseUrl(settings.ApiBaseUrl, PagerDutyChannel.DefaultApiBaseUrl), settings.RoutingKey!.Trim(), sender),
            _ => throw new OptionsValidationException(AlertOptions.SectionName, typeof(AlertOptions), [$"Alerts:Channels:{name}:Type '{settings.Type}' is not a channel type."]),
        };
    }

    /// <summary>A stable, one-way identifier of an endpoint's settings: stored with a disabled channel, never reversible to the URL or token.</summary>
    public static string Fingerprint(params string[] parts) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts))))[..16];

    /// <summary><see cref="Uri(Uri, string)"/> drops the base's last segment unless it ends in a slash (a relay at https://relay/telegram/).</summary>
    public static Uri WithTrailingSlash(Uri url) => url.AbsoluteUri.EndsWith('/') ? url : new Uri(url.AbsoluteUri + "/");

    private static Uri Url(string? value) => new(value!.Trim(), UriKind.Absolute);

    private static Uri BaseUrl(string? value, Uri fallback) => string.IsNullOrWhiteSpace(value) ? fallback : Url(value);
}
