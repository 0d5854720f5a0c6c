using System.Text.Json;
using Microsoft.AspNetCore.Http;
using ServerlessMonitor.Alerts;
using ServerlessMonitor.Events;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Alerts;

/// <summary>
/// Slack, Teams, Discord, Telegram and PagerDuty against real HTTP receivers standing in for each service: the payload
/// shapes each one accepts, carrying the facts someone needs at 2 AM, and nothing that could leak a secret.
/// </summary>
public sealed class ChatChannelTests : IAsyncLifetime
{
    private const string BotToken = "123456:AAF-secret-bot-token";
    private const string RoutingKey = "R0UT1NGKEYSECRET0000000000000000";
    private const string SlackPath = "slack/services/T000/B000/SlackSecretToken";

    private HttpReceiver _receiver = null!;
    private AlertsHarness _alerts = null!;

    public async Task InitializeAsync()
    {
        _receiver = await HttpReceiver.StartAsync();
        _alerts = await AlertsHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Alerts:Channels:slack:Type"] = "slack",
            ["Alerts:Channels:slack:Url"] = _receiver.Url(SlackPath).ToString(),
            ["Alerts:Channels:teams:Type"] = "teams",
            ["Alerts:Channels:teams:Url"] = _receiver.Url("teams/workflow?sig=TeamsSecretSig").ToString(),
            ["Alerts:Channels:discord:Type"] = "discord",
            ["Alerts:Channels:discord:Url"] = _receiver.Url("discord/api/webhooks/1/DiscordSecret").ToString(),
            ["Alerts:Channels:telegram:Type"] = "telegram",
            ["Alerts:Channels:telegram:BotToken"] = BotToken,
            ["Alerts:Channels:telegram:ChatId"] = "-100123",
            ["Alerts:Channels:telegram:ApiBaseUrl"] = _receiver.Url("tg").ToString(),
            ["Alerts:Channels:pager:Type"] = "pagerduty",
            ["Alerts:Channels:pager:RoutingKey"] = RoutingKey,
            ["Alerts:Channels:pager:ApiBaseUrl"] = _receiver.Url("pd/").ToString(),
        });
    }

    public async Task DisposeAsync()
    {
        await _alerts.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private ReceivedRequest Only(string pathPrefix) => Assert.Single(_receiver.Requests, r => r.Path.StartsWith(pathPrefix, StringComparison.Ordinal));

    [Fact]
    public async Task Chats_get_well_formed_messages_with_what_happened_since_when_where_and_what_is_being_done()
    {
        await _alerts.HandleAsync(TestEvents.Outage("oom-agent"));

        var slack = Only("/slack").Json();
        Assert.Contains("oom-agent", slack.GetProperty("text").GetString(), StringComparison.Ordinal);
        var blocks = slack.GetProperty("blocks").EnumerateArray().ToList();
        Assert.Equal("header", blocks[0].GetProperty("type").GetString());
        Assert.Equal("plain_text", blocks[0].GetProperty("text").GetProperty("type").GetString());
        var fields = blocks.Where(b => b.TryGetProperty("fields", out _)).SelectMany(b => b.GetProperty("fields").EnumerateArray()).Select(f => f.GetProperty("text").GetString()).ToList();
        Assert.Contains("*Host*\ndocker-1", fields);
        Assert.Contains("*Container*\nagent-1", fields);
        Assert.Contains("*Last message*\nstep 9 of 12", fields);
        Assert.Contains(fields, f => f!.StartsWith("*Down since*\n2026-12-04 01:59:33 UTC", StringComparison.Ordinal));
        Assert.Contains(fields, f => f!.StartsWith("*Last heartbeat*\n2026-12-04 01:59:33 UTC (2 min 1 s before this alert)", StringComparison.Ordinal));
        Assert.Contains(blocks, b => b.AllStrings().Contains("restarting the container", StringComparison.Ordinal));
        Assert.Equal("context", blocks[^1].GetProperty("type").GetString());
        Assert.Contains("oom-agent@20261204T015933000Z", blocks[^1].AllStrings(), StringComparison.Ordinal);

        var teams = Only("/teams").Json();
        Assert.Equal("message", teams.GetProperty("type").GetString());
        var attachment = teams.GetProperty("attachments")[0];
        Assert.Equal("application/vnd.microsoft.card.adaptive", attachment.GetProperty("contentType").GetString());
        var card = attachment.GetProperty("content");
        Assert.Equal("AdaptiveCard", card.GetProperty("type").GetString());
        Assert.Equal("1.4", card.GetProperty("version").GetString());
        Assert.Equal("Attention", card.GetProperty("body")[0].GetProperty("color").GetString());
        var facts = card.GetProperty("body").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "FactSet").GetProperty("facts").EnumerateArray()
            .ToDictionary(f => f.GetProperty("title").GetString()!, f => f.GetProperty("value").GetString());
        Assert.Equal("docker-1", facts["Host"]);
        Assert.Equal("agent-1", facts["Container"]);
        Assert.Equal("step 9 of 12", facts["Last message"]);

        var discord = Only("/discord").Json();
        Assert.Empty(discord.GetProperty("allowed_mentions").GetProperty("parse").EnumerateArray());
        var embed = discord.GetProperty("embeds")[0];
        Assert.Contains("oom-agent", embed.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.Equal(0xE01E5A, embed.GetProperty("color").GetInt32());
        Assert.Contains(embed.GetProperty("fields").EnumerateArray(), f => f.GetProperty("name").GetString() == "Host" && f.GetProperty("value").GetString() == "docker-1");
        Assert.Contains("restarting the container", embed.GetProperty("description").GetString(), StringComparison.Ordinal);

        var telegramRequest = Only("/tg");
        Assert.Equal($"/tg/bot{BotToken}/sendMessage", telegramRequest.Path);
        var telegram = telegramRequest.Json();
        Assert.Equal(-100123, telegram.GetProperty("chat_id").GetInt64());
        Assert.Equal("HTML", telegram.GetProperty("parse_mode").GetString());
        var text = telegram.GetProperty("text").GetString()!;
        Assert.StartsWith("<b>🔴 oom-agent is down: no heartbeat</b>", text, StringComparison.Ordinal);
        Assert.Contains("<b>Host:</b> docker-1", text, StringComparison.Ordinal);
        Assert.Contains("<b>Last message:</b> step 9 of 12", text, StringComparison.Ordinal);
        Assert.Contains("restarting the container", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recovery_messages_say_how_long_the_agent_was_down()
    {
        await _alerts.HandleAsync(TestEvents.Recovery("back-agent", downtimeSeconds: 51));

        Assert.Equal("🟢 back-agent recovered after 51 s of downtime", Only("/slack").Json().GetProperty("blocks")[0].GetProperty("text").GetProperty("text").GetString());
        Assert.Contains("<b>Downtime:</b> 51 s", Only("/tg").Json().GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal("Good", Only("/teams").Json().GetProperty("attachments")[0].GetProperty("content").GetProperty("body")[0].GetProperty("color").GetString());
    }

    [Fact]
    public async Task Alert_only_agents_are_announced_as_needing_a_person()
    {
        await _alerts.HandleAsync(TestEvents.Outage("batch-job", action: Agents.RecoveryAction.AlertOnly));

        Assert.Contains("alert only, no automatic restart", Only("/tg").Json().GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restart_context_is_shown_when_the_event_carries_it()
    {
        var failed = TestEvents.Restart(EventTypes.RestartFailed, "crashy", new EventDetails
        {
            Summary = "The container did not come back.",
            ExitCode = 137,
            OomKilled = true,
            Reason = "container exited again",
            LogTail = "loading model\nallocating 14 GiB\nKilled",
        });

        await _alerts.HandleAsync(failed);

        var slack = Only("/slack").Json().AllStrings();
        Assert.Contains("*Exit code*\n137", slack, StringComparison.Ordinal);
        Assert.Contains("*OOM killed*\nyes", slack, StringComparison.Ordinal);
        Assert.Contains("*Reason*\ncontainer exited again", slack, StringComparison.Ordinal);
        Assert.Contains("```loading model\nallocating 14 GiB\nKilled```", slack, StringComparison.Ordinal);
        var telegram = Only("/tg").Json().GetProperty("text").GetString()!;
        Assert.Contains("<pre>loading model\nallocating 14 GiB\nKilled</pre>", telegram, StringComparison.Ordinal);
        Assert.Contains("next restart follows after the backoff", telegram, StringComparison.Ordinal);
        // PagerDuty only opens and closes incidents.
        Assert.DoesNotContain(_receiver.Requests, r => r.Path.StartsWith("/pd", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_agents_message_cannot_inject_markup_or_mentions()
    {
        await _alerts.HandleAsync(TestEvents.Outage("chatty", message: "<!channel> @everyone <b>bold</b> & more"));

        Assert.Contains("&lt;!channel&gt; @everyone &lt;b&gt;bold&lt;/b&gt; &amp; more", Only("/slack").Json().AllStrings(), StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;bold&lt;/b&gt; &amp; more", Only("/tg").Json().GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Empty(Only("/discord").Json().GetProperty("allowed_mentions").GetProperty("parse").EnumerateArray());
    }

    [Fact]
    public async Task Telegram_flood_control_retry_after_in_the_body_is_honoured()
    {
        var calls = 0;
        _receiver.Respond = r => r.Path.StartsWith("/tg", StringComparison.Ordinal) && Interlocked.Increment(ref calls) == 1
            ? Results.Json(JsonDocument.Parse("""{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 42","parameters":{"retry_after":42}}""").RootElement, statusCode: 429)
            : Results.Json(new { ok = true });
        var outage = TestEvents.Outage("flooded");

        await _alerts.HandleAsync(outage);

        var retry = Assert.Single(_alerts.Work.All);
        Assert.Equal(AlertsHarness.Start.AddSeconds(42), retry.Time);
        Assert.Equal("telegram", retry.Work.Channel);
        await _alerts.RunUntilIdleAsync(TimeSpan.FromMinutes(5));
        Assert.Equal(2, _receiver.Requests.Count(r => r.Path.StartsWith("/tg", StringComparison.Ordinal)));
        Assert.Equal(DeliveryStatus.Delivered, (await _alerts.DeliveryAsync(outage.Id, "telegram")).Status);
    }

    [Fact]
    public async Task PagerDuty_incidents_open_on_the_outage_and_resolve_on_the_recovery_by_the_incident_id()
    {
        var outage = TestEvents.Outage("paged-agent");
        var recovery = TestEvents.Recovery("paged-agent");

        await _alerts.HandleAsync(outage);
        await _alerts.HandleAsync(TestEvents.Restart(EventTypes.RestartRequested, "paged-agent"));
        await _alerts.HandleAsync(recovery);

        var pages = _receiver.Requests.Where(r => r.Path.StartsWith("/pd", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, pages.Count);
        Assert.All(pages, p => Assert.Equal("/pd/v2/enqueue", p.Path));
        var trigger = pages[0].Json();
        Assert.Equal("trigger", trigger.GetProperty("event_action").GetString());
        Assert.Equal(RoutingKey, trigger.GetProperty("routing_key").GetString());
        Assert.Equal(outage.IncidentId, trigger.GetProperty("dedup_key").GetString());
        var payload = trigger.GetProperty("payload");
        Assert.Equal("critical", payload.GetProperty("severity").GetString());
        Assert.Equal("docker-1/agent-1", payload.GetProperty("source").GetString());
        Assert.Equal("agent.timed_out", payload.GetProperty("class").GetString());
        Assert.Contains("paged-agent", payload.GetProperty("summary").GetString(), StringComparison.Ordinal);
        Assert.Equal("step 9 of 12", payload.GetProperty("custom_details").GetProperty("Last message").GetString());
        var resolve = pages[1].Json();
        Assert.Equal("resolve", resolve.GetProperty("event_action").GetString());
        Assert.Equal(outage.IncidentId, resolve.GetProperty("dedup_key").GetString());
        Assert.Equal(recovery.IncidentId, outage.IncidentId);
    }

    [Fact]
    public async Task Secrets_in_urls_tokens_and_keys_reach_neither_logs_nor_the_api()
    {
        _receiver.Respond = r => r.Path.StartsWith("/tg", StringComparison.Ordinal)
            ? Results.Json(new { ok = false, description = $"Bad Request: token {BotToken} has no chat -100123" }, statusCode: 400)
            : Results.StatusCode(503);

        await _alerts.HandleAsync(TestEvents.Outage("leaky"));
        await _alerts.RunUntilIdleAsync(TimeSpan.FromMinutes(1));

        var api = JsonSerializer.Serialize(await _alerts.ListDeliveriesAsync("dead")) + JsonSerializer.Serialize(await _alerts.ListDeliveriesAsync("retrying"));
        Assert.Contains("***", api, StringComparison.Ordinal);
        var everything = string.Join('\n', _alerts.Logs.Lines) + api;
        Assert.Contains("telegram", everything, StringComparison.Ordinal);
        foreach (var secret in new[] { BotToken, "SlackSecretToken", "TeamsSecretSig", "DiscordSecret", RoutingKey, _receiver.BaseAddress.ToString() })
        {
            Assert.DoesNotContain(secret, everything, StringComparison.Ordinal);
        }
    }
}
