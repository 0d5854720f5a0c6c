using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using ServerlessMonitor.Alerts;
using ServerlessMonitor.Events;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Alerts;

/// <summary>
/// Standard Webhooks delivery over real HTTP, and the delivery machinery every channel shares: tracked per (event,
/// channel), retried on a growing schedule that honours Retry-After, dead when hopeless, a 410 disabling the channel.
/// </summary>
public sealed class WebhookDeliveryTests : IAsyncLifetime
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string PreviousSecret = "whsec_dGhpcyBpcyB0aGUgcHJldmlvdXMgc2VjcmV0IGtleQ==";

    private HttpReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await HttpReceiver.StartAsync();

    public async Task DisposeAsync() => await _receiver.DisposeAsync();

    private Task<AlertsHarness> HarnessAsync(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Alerts:Channels:hook:Type"] = "webhook",
            ["Alerts:Channels:hook:Url"] = _receiver.Url("hooks/monitor").ToString(),
            ["Alerts:Channels:hook:Secret"] = Secret,
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }
        return AlertsHarness.StartAsync(settings);
    }

    [Fact]
    public async Task Webhook_requests_carry_the_event_signed_per_Standard_Webhooks_and_verify_with_either_secret()
    {
        await using var alerts = await HarnessAsync(("Alerts:Channels:hook:PreviousSecret", PreviousSecret));
        var outage = TestEvents.Outage("signed-agent");

        await alerts.HandleAsync(outage);

        var request = Assert.Single(_receiver.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/hooks/monitor", request.Path);
        Assert.StartsWith("application/json", request.Headers["content-type"], StringComparison.Ordinal);
        Assert.Equal(outage.Id, request.Headers["webhook-id"]);
        Assert.Equal(AlertsHarness.Start.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture), request.Headers["webhook-timestamp"]);
        Assert.Equal(2, request.Headers["webhook-signature"].Split(' ').Length);
        Assert.True(StandardWebhookVerifier.Verify(request, Secret), "the current secret verifies");
        Assert.True(StandardWebhookVerifier.Verify(request, PreviousSecret), "the previous secret verifies during rotation");
        Assert.False(StandardWebhookVerifier.Verify(request, "whsec_" + Convert.ToBase64String(new byte[32])), "another secret does not");
        Assert.False(StandardWebhookVerifier.Verify(request with { Body = request.Body.Replace("signed-agent", "forged-agent", StringComparison.Ordinal) }, Secret), "a changed body does not");

        var received = EventSerializer.Deserialize(request.Body);
        Assert.Equal(outage with { Details = null! }, received with { Details = null! });
        Assert.Equal(outage.Details, received.Details);
        Assert.Equal(DeliveryStatus.Delivered, (await alerts.DeliveryAsync(outage.Id, "hook")).Status);
    }

    [Fact]
    public void Signatures_match_the_specifications_published_example()
    {
        Assert.True(ServerlessMonitor.Alerts.Channels.StandardWebhookSignature.TryDecodeSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", out var key));

        var signature = ServerlessMonitor.Alerts.Channels.StandardWebhookSignature.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, Encoding.UTF8.GetBytes("""{"test": 2432232314}"""), [key]);

        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Fact]
    public async Task A_receiver_failing_twice_then_succeeding_gets_exactly_one_successful_delivery_with_the_same_webhook_id()
    {
        await using var alerts = await HarnessAsync();
        var calls = 0;
        _receiver.Respond = _ => Interlocked.Increment(ref calls) <= 2 ? Results.StatusCode(503) : Results.Ok();
        var outage = TestEvents.Outage("flaky-receiver");

        await alerts.HandleAsync(outage);
        var firstRetry = Assert.Single(alerts.Work.All);
        Assert.Equal(AlertsHarness.Start.AddSeconds(5), firstRetry.Time);
        await alerts.HandleAsync(outage); // a redelivery meanwhile changes nothing
        await alerts.RunUntilIdleAsync(TimeSpan.FromHours(1));

        Assert.Equal(3, _receiver.Requests.Count);
        Assert.All(_receiver.Requests, r => Assert.Equal(outage.Id, r.Headers["webhook-id"]));
        Assert.All(_receiver.Requests, r => Assert.True(StandardWebhookVerifier.Verify(r, Secret)));
        Assert.Equal([AlertsHarness.Start.AddSeconds(5), AlertsHarness.Start.AddSeconds(35)], alerts.Work.All.Select(w => w.Time));
        var delivery = await alerts.DeliveryAsync(outage.Id, "hook");
        Assert.Equal(DeliveryStatus.Delivered, delivery.Status);
        Assert.Equal(3, delivery.Attempts);

        await alerts.HandleAsync(outage);
        await alerts.RunUntilIdleAsync(TimeSpan.FromHours(1));
        Assert.Equal(3, _receiver.Requests.Count);
    }

    [Fact]
    public async Task Too_many_requests_with_Retry_After_waits_as_long_as_the_endpoint_asks()
    {
        await using var alerts = await HarnessAsync();
        var calls = 0;
        _receiver.Respond = _ => Interlocked.Increment(ref calls) == 1 ? new RetryAfterResult(429, "120") : Results.Ok();
        var outage = TestEvents.Outage("rate-limited");

        await alerts.HandleAsync(outage);

        var retry = Assert.Single(alerts.Work.All);
        Assert.Equal(AlertsHarness.Start.AddSeconds(120), retry.Time);
        alerts.Time.Advance(TimeSpan.FromSeconds(119));
        Assert.Equal(0, await alerts.RunDueWorkAsync());
        alerts.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await alerts.RunDueWorkAsync());
        Assert.Equal(2, _receiver.Requests.Count);
        Assert.Equal(DeliveryStatus.Delivered, (await alerts.DeliveryAsync(outage.Id, "hook")).Status);
    }

    [Fact]
    public async Task An_early_wake_up_is_put_back_until_its_time()
    {
        await using var alerts = await HarnessAsync();
        var calls = 0;
        _receiver.Respond = _ => Interlocked.Increment(ref calls) == 1 ? Results.StatusCode(500) : Results.Ok();
        var outage = TestEvents.Outage("early-wakeup");
        await alerts.HandleAsync(outage);
        var retry = Assert.Single(alerts.Work.TakeDue(DateTimeOffset.MaxValue));

        // A transport delivering the wake-up 4 s early.
        var body = BinaryData.FromBytes(retry.Serialize());
        await alerts.Dispatcher.HandleMessageAsync(EventSerializer.Deserialize(body.ToMemory().Span), body, CancellationToken.None);

        Assert.Single(_receiver.Requests);
        Assert.Equal(retry.Time, alerts.Work.NextDue());
        await alerts.RunUntilIdleAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(2, _receiver.Requests.Count);
    }

    [Fact]
    public async Task An_attempt_that_died_after_claiming_is_taken_over_when_its_lease_runs_out()
    {
        await using var alerts = await HarnessAsync();
        var outage = TestEvents.Outage("orphaned");
        var leaseUntil = AlertsHarness.Start.AddSeconds(45);
        // What a host that crashed mid-send leaves behind; its message was settled, only a redelivery of the event remains.
        await alerts.Deliveries.SaveAsync(new DeliveryRecord
        {
            DeliveryId = outage.Id,
            Channel = "hook",
            Status = DeliveryStatus.Sending,
            Attempts = 1,
            FirstAttemptAt = AlertsHarness.Start,
            LeaseUntil = leaseUntil,
            EventJson = DeliveryRepository.StoredEvent(outage),
            CreatedAt = AlertsHarness.Start,
        }, CancellationToken.None);

        await alerts.HandleAsync(outage);
        Assert.Empty(_receiver.Requests);
        Assert.Equal(leaseUntil, alerts.Work.NextDue());
        await alerts.RunUntilIdleAsync(TimeSpan.FromMinutes(5));

        var request = Assert.Single(_receiver.Requests);
        Assert.Equal(outage.Id, request.Headers["webhook-id"]);
        var delivery = await alerts.DeliveryAsync(outage.Id, "hook");
        Assert.Equal((DeliveryStatus.Delivered, 2), (delivery.Status, delivery.Attempts));
    }

    [Fact]
    public async Task A_gone_endpoint_disables_the_channel_until_its_settings_change_and_the_api_says_so()
    {
        await using var alerts = await HarnessAsync();
        _receiver.Respond = _ => Results.StatusCode(410);
        var first = TestEvents.Outage("gone-1");

        await alerts.HandleAsync(first);
        await alerts.HandleAsync(TestEvents.Outage("gone-2"));

        Assert.Single(_receiver.Requests);
        Assert.Empty(alerts.Work.All);
        var view = await alerts.ListDeliveriesAsync("dead");
        var channel = Assert.Single(view.Channels);
        Assert.Equal(("hook", "webhook", false), (channel.Name, channel.Type, channel.Enabled));
        Assert.Contains("410", channel.DisabledReason, StringComparison.Ordinal);
        Assert.Equal(2, view.Deliveries.Length);
        Assert.All(view.Deliveries, d => Assert.Equal(DeliveryStatus.Dead, d.Status));
        Assert.Contains(view.Deliveries, d => d.DeliveryId == first.Id && d.LastHttpStatus == 410);
        Assert.Contains(alerts.Logs.Lines, l => l.Contains("Channel hook answered 410", StringComparison.Ordinal));

        // The same stored state with the channel pointed elsewhere: enabled again.
        await using var moved = await AlertsHarness.StartAsync(new Dictionary<string, string?>
        {
            ["MonitorStorage:TablePrefix"] = alerts.Prefix,
            ["Alerts:Channels:hook:Type"] = "webhook",
            ["Alerts:Channels:hook:Url"] = _receiver.Url("hooks/v2").ToString(),
        });
        _receiver.Respond = _ => Results.Ok();
        await moved.HandleAsync(TestEvents.Outage("gone-3"));
        Assert.Equal("/hooks/v2", _receiver.Requests[^1].Path);
        Assert.True(Assert.Single((await moved.ListDeliveriesAsync()).Channels).Enabled);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(404)]
    [InlineData(302)]
    public async Task A_client_error_or_redirect_is_dead_at_once_and_listed(int status)
    {
        await using var alerts = await HarnessAsync();
        _receiver.Respond = _ => status == 302 ? Results.Redirect("http://127.0.0.1:1/elsewhere") : Results.Text("invalid_payload", statusCode: status);
        var outage = TestEvents.Outage("rejected");

        await alerts.HandleAsync(outage);

        Assert.Single(_receiver.Requests);
        Assert.Empty(alerts.Work.All);
        var dead = Assert.Single((await alerts.ListDeliveriesAsync("dead")).Deliveries);
        Assert.Equal((outage.Id, "hook", "rejected", status), (dead.DeliveryId, dead.Channel, dead.Agent, dead.LastHttpStatus));
        Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), dead.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_delivery_that_keeps_failing_is_retried_on_the_schedule_for_a_day_then_dead()
    {
        await using var alerts = await HarnessAsync();
        _receiver.Respond = _ => Results.StatusCode(500);
        var outage = TestEvents.Outage("always-failing");

        await alerts.HandleAsync(outage);
        await alerts.RunUntilIdleAsync(TimeSpan.FromDays(2));

        // 5 s, 30 s, 2 min, 10 min, 30 min, then hourly while the next attempt still falls within 24 h of the first.
        var expected = new[] { 5, 30, 120, 600, 1800 }.Select(s => TimeSpan.FromSeconds(s)).ToList();
        var elapsed = expected.Aggregate(TimeSpan.Zero, (a, b) => a + b);
        while (elapsed + TimeSpan.FromHours(1) <= TimeSpan.FromHours(24))
        {
            expected.Add(TimeSpan.FromHours(1));
            elapsed += TimeSpan.FromHours(1);
        }
        var times = alerts.Work.All.Select(w => w.Time).Prepend(AlertsHarness.Start).ToList();
        Assert.Equal(expected, times.Zip(times.Skip(1), (a, b) => b - a));
        Assert.Equal(expected.Count + 1, _receiver.Requests.Count);
        var delivery = await alerts.DeliveryAsync(outage.Id, "hook");
        Assert.Equal(DeliveryStatus.Dead, delivery.Status);
        Assert.StartsWith($"gave up after {expected.Count + 1} attempts", delivery.LastError, StringComparison.Ordinal);
        Assert.Equal(outage.Id, Assert.Single((await alerts.ListDeliveriesAsync()).Deliveries).DeliveryId);
    }

    [Fact]
    public async Task A_failing_channel_does_not_hold_up_the_others()
    {
        await using var healthy = await HttpReceiver.StartAsync();
        await using var alerts = await HarnessAsync(("Alerts:Channels:second:Type", "webhook"), ("Alerts:Channels:second:Url", healthy.Url("ok").ToString()));
        _receiver.Respond = _ => Results.StatusCode(500);
        var outage = TestEvents.Outage("half-failing");

        await alerts.HandleAsync(outage);
        await alerts.HandleAsync(outage);

        Assert.Single(healthy.Requests);
        Assert.Single(_receiver.Requests);
        Assert.Equal(DeliveryStatus.Delivered, (await alerts.DeliveryAsync(outage.Id, "second")).Status);
        Assert.Equal(DeliveryStatus.Retrying, (await alerts.DeliveryAsync(outage.Id, "hook")).Status);
        Assert.Single(alerts.Work.All);
    }

    [Fact]
    public async Task An_unreachable_endpoint_is_retried_like_a_server_error()
    {
        await using var alerts = await HarnessAsync(("Alerts:Channels:hook:Url", "http://127.0.0.1:1/closed"));
        var outage = TestEvents.Outage("unreachable");

        await alerts.HandleAsync(outage);

        var delivery = await alerts.DeliveryAsync(outage.Id, "hook");
        Assert.Equal(DeliveryStatus.Retrying, delivery.Status);
        Assert.StartsWith("connection failed", delivery.LastError, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", delivery.LastError, StringComparison.Ordinal);
    }

    private sealed class RetryAfterResult(int status, string retryAfter) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.Headers.RetryAfter = retryAfter;
            return Task.CompletedTask;
        }
    }
}

/// <summary>
/// A webhook consumer's check, written from the Standard Webhooks specification and independent of the production code:
/// HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" with the base64-decoded secret after "whsec_", compared
/// in constant time with each space-separated "v1,{base64}" signature.
/// </summary>
public static class StandardWebhookVerifier
{
    public static bool Verify(ReceivedRequest request, string secret)
    {
        if (!request.Headers.TryGetValue("webhook-id", out var id) || !request.Headers.TryGetValue("webhook-timestamp", out var timestamp)
            || !request.Headers.TryGetValue("webhook-signature", out var signatures))
        {
            return false;
        }
        using var hmac = new HMACSHA256(Convert.FromBase64String(secret["whsec_".Length..]));
        var expected = hmac.ComputeHash(Encoding.UTF8.GetBytes($"{id}.{timestamp}.{request.Body}"));
        foreach (var signature in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = signature.Split(',', 2);
            if (parts.Length == 2 && parts[0] == "v1" && CryptographicOperations.FixedTimeEquals(expected, TryDecode(parts[1])))
            {
                return true;
            }
        }
        return false;
    }

    private static byte[] TryDecode(string base64)
    {
        try
        {
            return Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            return [];
        }
    }
}
