using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ServerlessMonitor.Alerts.Channels;

/// <summary>A Slack incoming webhook, as a Block Kit message (header, facts as section fields, context footer).</summary>
public sealed class SlackChannel(string name, Uri url, AlertHttpSender sender) : IAlertChannel
{
    // Block Kit limits: header text 150, section text 3000, 10 fields of 2000 per section, 50 blocks per message.
    private const int MaxHeader = 150;
    private const int MaxSectionText = 3000;
    private const int MaxFieldsPerSection = 10;
    private const int MaxFieldText = 2000;
    private const int MaxDigestItems = 40;

    public string Name => name;
    public string Type => AlertChannelTypes.Slack;
    public bool IsChat => true;
    public string EndpointFingerprint { get; } = AlertChannels.Fingerprint(AlertChannelTypes.Slack, url.AbsoluteUri);

    public bool Covers(string eventType) => true;

    public async Task<SendResult> SendAsync(OutgoingAlert alert, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(Render(alert)) };
        request.Headers.UserAgent.Add(AlertChannels.UserAgent);
        return await sender.SendAsync(Name, request, [url.AbsoluteUri, url.AbsolutePath], cancellationToken).ConfigureAwait(false);
    }

    public static JsonObject Render(OutgoingAlert alert)
    {
        if (alert.Events.Count == 1)
        {
            var card = AlertFormatter.Card(alert.Events[0]);
            return new JsonObject { ["text"] = Escape(card.Title), ["blocks"] = new JsonArray([.. CardBlocks(card)]) };
        }

        var digest = AlertFormatter.Digest(alert.Events);
        var blocks = new JsonArray { Header(digest.Title) };
        foreach (var item in digest.Items.Take(MaxDigestItems))
        {
            blocks.Add(Section($"*{Escape(item.Title)}*\n{Escape(AlertFormatter.Brief(item))}"));
        }
        if (digest.Items.Count > MaxDigestItems)
        {
            blocks.Add(Context($"…and {digest.Items.Count - MaxDigestItems} more; see GET /api/agents"));
        }
        return new JsonObject { ["text"] = Escape(digest.Title), ["blocks"] = blocks };
    }

    private static IEnumerable<JsonNode> CardBlocks(AlertCard card)
    {
        yield return Header(card.Title);
        if (card.Summary is not null)
        {
            yield return Section(Escape(card.Summary));
        }
        foreach (var chunk in card.Facts.Chunk(MaxFieldsPerSection))
        {
            yield return new JsonObject
            {
                ["type"] = "section",
                ["fields"] = new JsonArray([.. chunk.Select(f => (JsonNode)Text(AlertFormatter.Truncate($"*{Escape(f.Label)}*\n{Escape(f.Value)}", MaxFieldText)))]),
            };
        }
        if (card.Action is not null)
        {
            yield return Section($"*{Escape(card.Action)}*");
        }
        foreach (var block in card.Preformatted)
        {
            yield return Section($"*{Escape(block.Label)}*\n```{Escape(block.Text)}```");
        }
        yield return Context(Escape(card.Footer));
    }

    private static JsonObject Header(string text) => new()
    {
        ["type"] = "header",
        ["text"] = new JsonObject { ["type"] = "plain_text", ["text"] = AlertFormatter.Truncate(text, MaxHeader), ["emoji"] = true },
    };

    private static JsonObject Section(string mrkdwn) => new() { ["type"] = "section", ["text"] = Text(mrkdwn) };

    private static JsonObject Context(string mrkdwn) => new() { ["type"] = "context", ["elements"] = new JsonArray(Text(mrkdwn)) };

    private static JsonObject Text(string mrkdwn) => new() { ["type"] = "mrkdwn", ["text"] = AlertFormatter.Truncate(mrkdwn, MaxSectionText) };

    /// <summary>Slack's three control characters; escaping them also stops an agent's message from mentioning @channel.</summary>
    private static string Escape(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);
}
