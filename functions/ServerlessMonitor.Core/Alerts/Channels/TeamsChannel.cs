using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace ServerlessMonitor.Alerts.Channels;

/// <summary>
/// Microsoft Teams through an incoming webhook or a Workflows ("Post to a channel when a webhook request is received")
/// URL: a message with one Adaptive Card attachment, the shape both accept.
/// </summary>
public sealed class TeamsChannel(string name, Uri url, AlertHttpSender sender) : IAlertChannel
{
    private const int MaxDigestItems = 40;

    public string Name => name;
    public string Type => AlertChannelTypes.Teams;
    public bool IsChat => true;
    public string EndpointFingerprint { get; } = AlertChannels.Fingerprint(AlertChannelTypes.Teams, url.AbsoluteUri);

    public bool Covers(string eventType) => true;

    public async Task<SendResult> SendAsync(OutgoingAlert alert, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(Render(alert)) };
        request.Headers.UserAgent.Add(AlertChannels.UserAgent);
        return await sender.SendAsync(Name, request, [url.AbsoluteUri, url.PathAndQuery], cancellationToken).ConfigureAwait(false);
    }

    public static JsonObject Render(OutgoingAlert alert)
    {
        var body = new JsonArray();
        if (alert.Events.Count == 1)
        {
            var card = AlertFormatter.Card(alert.Events[0]);
            body.Add(Title(card.Title, card.Tone));
            AddCard(body, card, withTitle: false);
        }
        else
        {
            var digest = AlertFormatter.Digest(alert.Events);
            body.Add(Title(digest.Title, digest.Tone));
            foreach (var item in digest.Items.Take(MaxDigestItems))
            {
                var container = new JsonArray();
                AddCard(container, item, withTitle: true);
                body.Add(new JsonObject { ["type"] = "Container", ["separator"] = true, ["items"] = container });
            }
            if (digest.Items.Count > MaxDigestItems)
            {
                body.Add(TextBlock($"…and {digest.Items.Count - MaxDigestItems} more; see GET /api/agents", subtle: true));
            }
        }

        var adaptiveCard = new JsonObject
        {
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["msteams"] = new JsonObject { ["width"] = "Full" },
            ["body"] = body,
        };
        return new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray(new JsonObject
            {
                ["contentType"] = "application/vnd.microsoft.card.adaptive",
                ["contentUrl"] = null,
                ["content"] = adaptiveCard,
            }),
        };
    }

    private static void AddCard(JsonArray body, AlertCard card, bool withTitle)
    {
        if (withTitle)
        {
            body.Add(TextBlock(card.Title, bold: true));
        }
        if (card.Summary is not null)
        {
            body.Add(TextBlock(card.Summary));
        }
        if (card.Facts.Count > 0)
        {
            body.Add(new JsonObject
            {
                ["type"] = "FactSet",
                ["facts"] = new JsonArray([.. card.Facts.Select(f => (JsonNode)new JsonObject { ["title"] = f.Label, ["value"] = f.Value })]),
            });
        }
        if (card.Action is not null)
        {
            body.Add(TextBlock(card.Action, bold: true));
        }
        foreach (var block in card.Preformatted)
        {
            body.Add(TextBlock(block.Label, bold: true));
            body.Add(new JsonObject { ["type"] = "TextBlock", ["text"] = block.Text, ["wrap"] = true, ["fontType"] = "Monospace" });
        }
        body.Add(TextBlock(card.Footer, subtle: true));
    }

    private static JsonObject Title(string text, AlertTone tone) => new()
    {
        ["type"] = "TextBlock",
        ["text"] = text,
        ["size"] = "Large",
        ["weight"] = "Bolder",
        ["wrap"] = true,
        ["color"] = tone switch { AlertTone.Down => "Attention", AlertTone.Up => "Good", AlertTone.Warning => "Warning", _ => "Default" },
    };

    private static JsonObject TextBlock(string text, bool bold = false, bool subtle = false)
    {
        var block = new JsonObject { ["type"] = "TextBlock", ["text"] = text, ["wrap"] = true };
        if (bold)
        {
            block["weight"] = "Bolder";
        }
        if (subtle)
        {
            block["isSubtle"] = true;
            block["size"] = "Small";
        }
        return block;
    }
}
