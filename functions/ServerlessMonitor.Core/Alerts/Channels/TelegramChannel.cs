using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace ServerlessMonitor.Alerts.Channels;

/// <summary>
/// Telegram through the Bot API's <c>sendMessage</c> (HTML parse mode). The bot token sits in the request path, so it is
/// a secret like the other channels' URLs. A 429 carries <c>parameters.retry_after</c>, which the retry honours.
/// </summary>
public sealed class TelegramChannel(string name, Uri apiBaseUrl, string botToken, string chatId, AlertHttpSender sender) : IAlertChannel
{
    public static readonly Uri DefaultApiBaseUrl = new("https://api.telegram.org");

    private const int MaxText = 4096;

    // "./" because "bot123:ABC/..." would otherwise read as an absolute URI with the scheme "bot123".
    private readonly Uri _sendMessage = new(AlertChannels.WithTrailingSlash(apiBaseUrl), $"./bot{botToken}/sendMessage");

    public string Name => name;
    public string Type => AlertChannelTypes.Telegram;
    public bool IsChat => true;
    public string EndpointFingerprint { get; } = AlertChannels.Fingerprint(AlertChannelTypes.Telegram, apiBaseUrl.AbsoluteUri, botToken, chatId);

    public bool Covers(string eventType) => true;

    public async Task<SendResult> SendAsync(OutgoingAlert alert, CancellationToken cancellationToken)
    {
        var payload = new JsonObject
        {
            // A numeric id goes as a number; @channelname as a string.
            ["chat_id"] = long.TryParse(chatId, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var numeric) ? numeric : chatId,
            ["text"] = RenderText(alert),
            ["parse_mode"] = "HTML",
            ["link_preview_options"] = new JsonObject { ["is_disabled"] = true },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, _sendMessage) { Content = JsonContent.Create(payload) };
        request.Headers.UserAgent.Add(AlertChannels.UserAgent);
        return await sender.SendAsync(Name, request, [botToken], cancellationToken, RetryAfterFromBody).ConfigureAwait(false);
    }

    public static string RenderText(OutgoingAlert alert)
    {
        var text = new StringBuilder();
        if (alert.Events.Count == 1)
        {
            var card = AlertFormatter.Card(alert.Events[0]);
            text.Append("<b>").Append(Escape(card.Title)).Append("</b>\n");
            if (card.Summary is not null)
            {
                text.Append(Escape(AlertFormatter.Truncate(card.Summary, 1000))).Append('\n');
            }
            text.Append('\n');
            foreach (var fact in card.Facts)
            {
                text.Append("<b>").Append(Escape(fact.Label)).Append(":</b> ").Append(Escape(AlertFormatter.Truncate(fact.Value, 300))).Append('\n');
            }
            if (card.Action is not null)
            {
                text.Append("\n<b>").Append(Escape(card.Action)).Append("</b>\n");
            }
            // Whole blocks only: cutting inside a tag would make Telegram refuse the message.
            var footer = $"\n<i>{Escape(card.Footer)}</i>";
            foreach (var block in card.Preformatted)
            {
                var rendered = $"\n<b>{Escape(block.Label)}</b>\n<pre>{Escape(block.Text)}</pre>\n";
                if (text.Length + rendered.Length + footer.Length <= MaxText)
                {
                    text.Append(rendered);
                }
            }
            if (text.Length + footer.Length <= MaxText)
            {
                text.Append(footer);
            }
        }
        else
        {
            var digest = AlertFormatter.Digest(alert.Events);
            text.Append("<b>").Append(Escape(digest.Title)).Append("</b>\n");
            var shown = 0;
            foreach (var item in digest.Items)
            {
                var line = $"\n<b>{Escape(item.Title)}</b>\n{Escape(AlertFormatter.Brief(item, maxFacts: 4))}\n";
                if (text.Length + line.Length > MaxText - 60)
                {
                    break;
                }
                text.Append(line);
                shown++;
            }
            if (shown < digest.Items.Count)
            {
                text.Append(CultureInfo.InvariantCulture, $"\n…and {digest.Items.Count - shown} more");
            }
        }
        // The parts are bounded above; this is the last resort, and never cuts inside a tag.
        return text.Length <= MaxText ? text.ToString() : $"<b>{Escape(AlertFormatter.Truncate(alert.Events.Count == 1 ? AlertFormatter.Card(alert.Events[0]).Title : AlertFormatter.Digest(alert.Events).Title, 1000))}</b>";
    }

    /// <summary>Telegram's HTML mode needs only these three escaped.</summary>
    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static TimeSpan? RetryAfterFromBody(string body)
    {
        try
        {
            return JsonNode.Parse(body)?["parameters"]?["retry_after"]?.GetValue<int>() is { } seconds and >= 0 ? TimeSpan.FromSeconds(seconds) : null;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
