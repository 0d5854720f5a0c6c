using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace ServerlessMonitor.Alerts.Channels;

/// <summary>A Discord webhook: one embed (title, description, inline fields, footer, colour by severity). Mentions are disabled.</summary>
public sealed class DiscordChannel(string name, Uri url, AlertHttpSender sender) : IAlertChannel
{
    // Embed limits: title 256, description 4096, 25 fields (name 256, value 1024), footer 2048, 6000 characters in all.
    private const int MaxTitle = 256;
    private const int MaxDescription = 4096;
    private const int MaxFields = 25;
    private const int MaxFieldName = 256;
    private const int MaxFieldValue = 1024;
    private const int MaxTotal = 6000;

    public string Name => name;
    public string Type => AlertChannelTypes.Discord;
    public bool IsChat => true;
    public string EndpointFingerprint { get; } = AlertChannels.Fingerprint(AlertChannelTypes.Discord, url.AbsoluteUri);

    public bool Covers(string eventType) => true;

    public async Task<SendResult> SendAsync(OutgoingAlert alert, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonContent.Create(Render(alert)) };
        request.Headers.UserAgent.Add(AlertChannels.UserAgent);
        return await sender.SendAsync(Name, request, [url.AbsoluteUri, url.AbsolutePath], cancellationToken, RetryAfterFromBody).ConfigureAwait(false);
    }

    public static JsonObject Render(OutgoingAlert alert)
    {
        JsonObject embed;
        if (alert.Events.Count == 1)
        {
            var card = AlertFormatter.Card(alert.Events[0]);
            var description = new StringBuilder(card.Summary ?? "");
            if (card.Action is not null)
            {
                description.Append("\n\n**").Append(card.Action).Append("**");
            }
            foreach (var block in card.Preformatted)
            {
                description.Append("\n\n**").Append(block.Label).Append("**\n```\n").Append(block.Text.Replace("```", "'''", StringComparison.Ordinal)).Append("\n```");
            }
            var budget = MaxTotal - card.Title.Length - card.Footer.Length - 100;
            var fields = new JsonArray();
            foreach (var fact in card.Facts.Take(MaxFields))
            {
                var value = AlertFormatter.Truncate(fact.Value, MaxFieldValue);
                budget -= fact.Label.Length + value.Length;
                fields.Add(new JsonObject { ["name"] = AlertFormatter.Truncate(fact.Label, MaxFieldName), ["value"] = value, ["inline"] = fact.Value.Length <= 40 });
            }
            embed = new JsonObject
            {
                ["title"] = AlertFormatter.Truncate(card.Title, MaxTitle),
                ["description"] = AlertFormatter.Truncate(description.ToString(), Math.Clamp(budget, 200, MaxDescription)),
                ["color"] = Color(card.Tone),
                ["fields"] = fields,
                ["footer"] = new JsonObject { ["text"] = card.Footer },
                ["timestamp"] = card.Time.ToString("O", CultureInfo.InvariantCulture),
            };
        }
        else
        {
            var digest = AlertFormatter.Digest(alert.Events);
            var lines = digest.Items.Select(item => $"**{item.Title}**\n{AlertFormatter.Brief(item, maxFacts: 4)}");
            embed = new JsonObject
            {
                ["title"] = AlertFormatter.Truncate(digest.Title, MaxTitle),
                ["description"] = AlertFormatter.Truncate(string.Join("\n\n", lines), MaxDescription),
                ["color"] = Color(digest.Tone),
                ["timestamp"] = alert.Events.Max(e => e.Time).ToString("O", CultureInfo.InvariantCulture),
            };
        }
        return new JsonObject
        {
            ["username"] = "ServerlessMonitor",
            // An agent's message must not be able to ping @everyone.
            ["allowed_mentions"] = new JsonObject { ["parse"] = new JsonArray() },
            ["embeds"] = new JsonArray(embed),
        };
    }

    private static int Color(AlertTone tone) => tone switch
    {
        AlertTone.Down => 0xE01E5A,
        AlertTone.Up => 0x2EB67D,
        AlertTone.Warning => 0xECB22E,
        _ => 0x36C5F0,
    };

    /// <summary>Discord's 429 body says <c>retry_after</c> in seconds (fractional).</summary>
    private static TimeSpan? RetryAfterFromBody(string body)
    {
        try
        {
            return JsonNode.Parse(body)?["retry_after"]?.GetValue<double>() is { } seconds and >= 0 ? TimeSpan.FromSeconds(seconds) : null;
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
