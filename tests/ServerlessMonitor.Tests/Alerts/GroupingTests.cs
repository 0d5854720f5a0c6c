using Microsoft.AspNetCore.Http;
using ServerlessMonitor.Alerts;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Alerts;

/// <summary>
/// No alert storm: alerts that reach a chat channel within its grouping window become one message; webhooks still get
/// one request per event. Handled concurrently and redelivered, the window still yields exactly one message.
/// </summary>
public sealed class GroupingTests : IAsyncLifetime
{
    private HttpReceiver _receiver = null!;
    private AlertsHarness _alerts = null!;

    public async Task InitializeAsync()
    {
        _receiver = await HttpReceiver.StartAsync();
        _alerts = await AlertsHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Alerts:GroupingSeconds"] = "3",
            ["Alerts:Channels:slack:Type"] = "slack",
            ["Alerts:Channels:slack:Url"] = _receiver.Url("slack").ToString(),
            ["Alerts:Channels:hook:Type"] = "webhook",
            ["Alerts:Channels:hook:Url"] = _receiver.Url("hook").ToString(),
        });
    }

    public async Task DisposeAsync()
    {
        await _alerts.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    private List<ReceivedRequest> Slack => [.. _receiver.Requests.Where(r => r.Path == "/slack")];
    private List<ReceivedRequest> Hook => [.. _receiver.Requests.Where(r => r.Path == "/hook")];

    [Fact]
    public async Task Many_agents_down_in_one_sweep_make_one_chat_message_but_one_webhook_request_each()
    {
        var outages = Enumerable.Range(1, 6).Select(i => TestEvents.Outage($"storm-{i}", container: $"agent-{i}")).ToList();

        // As the consumers do: several messages handled at once.
        await Task.WhenAll(outages.Select(_alerts.HandleAsync));

        Assert.Equal(6, Hook.Count);
        Assert.Empty(Slack);
        var flush = Assert.Single(_alerts.Work.All);
        Assert.Equal(AlertWorkKind.Flush, flush.Work.Kind);
        Assert.Equal(AlertsHarness.Start.AddSeconds(3), flush.Time);

        _alerts.Time.Advance(TimeSpan.FromSeconds(3));
        await _alerts.RunDueWorkAsync();

        var message = Assert.Single(Slack).Json();
        Assert.Equal("🔴 6 alerts: 6 down", message.GetProperty("text").GetString());
        var text = message.AllStrings();
        Assert.All(outages, o => Assert.Contains($"{o.Agent} is down", text, StringComparison.Ordinal));
        Assert.Contains("Container: agent-4", text, StringComparison.Ordinal);
        var group = Assert.Single(_alerts.Work.All).Work.DeliveryId!;
        var delivery = await _alerts.DeliveryAsync(group, "slack");
        Assert.Equal(DeliveryStatus.Delivered, delivery.Status);
        Assert.Equal(6, delivery.MemberEventIds.Count);
        Assert.Equal(DeliveryStatus.Grouped, (await _alerts.DeliveryAsync(outages[0].Id, "slack")).Status);
    }

    [Fact]
    public async Task Redelivered_alerts_and_a_repeated_flush_still_send_one_message()
    {
        var outages = Enumerable.Range(1, 3).Select(i => TestEvents.Outage($"again-{i}")).ToList();
        await Task.WhenAll(outages.Select(_alerts.HandleAsync));
        await Task.WhenAll(outages.Select(_alerts.HandleAsync));

        await _alerts.RunUntilIdleAsync(TimeSpan.FromMinutes(1));
        foreach (var item in _alerts.Work.All)
        {
            await _alerts.Work.ScheduleAsync(item, CancellationToken.None);
        }
        await _alerts.RunUntilIdleAsync(TimeSpan.FromMinutes(1));
        await Task.WhenAll(outages.Select(_alerts.HandleAsync));
        await _alerts.RunUntilIdleAsync(TimeSpan.FromMinutes(1));

        Assert.Contains("3 alerts: 3 down", Assert.Single(Slack).Json().GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, Hook.Count);
    }

    [Fact]
    public async Task An_alert_after_the_window_closed_goes_out_in_the_next_message_and_a_lone_alert_reads_like_an_ungrouped_one()
    {
        await _alerts.HandleAsync(TestEvents.Outage("first"));
        _alerts.Time.Advance(TimeSpan.FromSeconds(3));
        await _alerts.RunDueWorkAsync();
        await _alerts.HandleAsync(TestEvents.Recovery("first"));
        _alerts.Time.Advance(TimeSpan.FromSeconds(3));
        await _alerts.RunDueWorkAsync();

        Assert.Equal(2, Slack.Count);
        Assert.Equal("🔴 first is down: no heartbeat", Slack[0].Json().GetProperty("text").GetString());
        Assert.Equal("🟢 first recovered after 51 s of downtime", Slack[1].Json().GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_failing_chat_retries_the_whole_grouped_message()
    {
        var calls = 0;
        _receiver.Respond = r => r.Path == "/slack" && Interlocked.Increment(ref calls) == 1 ? Results.StatusCode(500) : Results.Ok();
        await _alerts.HandleAsync(TestEvents.Outage("grouped-a"));
        await _alerts.HandleAsync(TestEvents.Outage("grouped-b"));

        await _alerts.RunUntilIdleAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(2, Slack.Count);
        Assert.Equal(Slack[0].Body, Slack[1].Body);
        var retry = _alerts.Work.All.Single(w => w.Work.Kind == AlertWorkKind.Deliver);
        Assert.Equal(DeliveryStatus.Delivered, (await _alerts.DeliveryAsync(retry.Work.DeliveryId!, "slack")).Status);
    }
}
