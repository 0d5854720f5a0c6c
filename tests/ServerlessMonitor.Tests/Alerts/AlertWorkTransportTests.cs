using System.Text;
using Azure.Messaging.ServiceBus;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using ServerlessMonitor.Alerts;
using ServerlessMonitor.Events;
using ServerlessMonitor.Functions.Alerts;
using ServerlessMonitor.Functions.Restarts;
using ServerlessMonitor.Restarts;
using ServerlessMonitor.Storage;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Alerts;

/// <summary>
/// Alerts work travels on the alerts subscription: a scheduled message on the Service Bus topic (tested at the SDK seam),
/// or a delayed message on the alerts queue. The restarts side receives it too on Service Bus, and ignores it.
/// </summary>
public sealed class AlertWorkTransportTests
{
    private static readonly AlertWorkItem Retry = AlertWorkItem.Create(
        new AlertWork { Kind = AlertWorkKind.Deliver, DeliveryId = "0b6b0f3c-3d5e-8c1f-a2b4-5d6e7f809112", Channel = "hook", Number = 2 },
        AlertsHarness.Start.AddSeconds(30));

    [Fact]
    public async Task Service_bus_schedules_the_work_on_the_topic_with_a_stable_id_and_an_alerts_only_marking()
    {
        var client = new RecordingServiceBusClient();
        var time = new FakeTimeProvider(AlertsHarness.Start);
        await using var scheduler = new ServiceBusAlertWorkScheduler(client, Options.Create(new EventBusOptions()), time);

        await scheduler.ScheduleAsync(Retry, CancellationToken.None);
        await scheduler.ScheduleAsync(Retry with { Time = AlertsHarness.Start.AddSeconds(-1) }, CancellationToken.None);

        Assert.Equal("agent-events", client.Sender.Topic);
        var scheduled = Assert.Single(client.Sender.Sent, m => m.ScheduledEnqueueTime != default);
        Assert.Equal(Retry.Time, scheduled.ScheduledEnqueueTime);
        Assert.Equal(Retry.Id, scheduled.MessageId);
        Assert.Equal(AlertWorkItem.MessageType, scheduled.Subject);
        Assert.Equal(AlertWorkItem.MessageType, scheduled.ApplicationProperties["type"]);
        Assert.Equal("alerts", scheduled.ApplicationProperties["audience"]);
        var asEvent = EventSerializer.Deserialize(scheduled.Body.ToArray());
        Assert.Equal((Retry.Id, AlertWorkItem.MessageType), (asEvent.Id, asEvent.Type));
        Assert.Equal(Retry, AlertWorkItem.Parse(scheduled.Body));
        // Already due: sent at once.
        Assert.Single(client.Sender.Sent, m => m.ScheduledEnqueueTime == default);
        // The same work scheduled twice keeps its id, so the topic's duplicate detection drops the copy.
        Assert.Equal(Retry.Id, AlertWorkItem.Create(Retry.Work, Retry.Time.AddMinutes(1)).Id);
    }

    [Fact]
    public async Task The_restarts_function_ignores_alerts_work_it_receives_from_the_topic()
    {
        await using var core = await CoreHarness.StartAsync();
        var restarts = new RestartsFunction(core.Services.GetRequiredService<RestartRequester>());

        await restarts.Run(Encoding.UTF8.GetString(Retry.Serialize()), CancellationToken.None);

        Assert.Empty(core.Bus.Sender.Sent);
        Assert.Empty(core.Tables.Commands.Query<Azure.Data.Tables.TableEntity>());
    }

    [Fact]
    public async Task The_alerts_function_handles_events_and_its_own_retries_from_the_message_body()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        await using var alerts = await AlertsHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Alerts:Channels:hook:Type"] = "webhook",
            ["Alerts:Channels:hook:Url"] = receiver.Url("hook").ToString(),
        });
        var calls = 0;
        receiver.Respond = _ => Interlocked.Increment(ref calls) == 1 ? Results.StatusCode(502) : Results.Ok();
        var function = new AlertsFunction(alerts.Dispatcher);
        var outage = TestEvents.Outage("function-agent");

        await function.Run(Encoding.UTF8.GetString(EventSerializer.Serialize(outage)), CancellationToken.None);
        var retry = Assert.Single(alerts.Work.TakeDue(DateTimeOffset.MaxValue));
        alerts.Time.SetUtcNow(retry.Time);
        await function.Run(Encoding.UTF8.GetString(retry.Serialize()), CancellationToken.None);

        Assert.Equal(2, receiver.Requests.Count);
        Assert.Equal(DeliveryStatus.Delivered, (await alerts.DeliveryAsync(outage.Id, "hook")).Status);
        await Assert.ThrowsAsync<InvalidEventException>(() => function.Run("""{"id":"x","type":"alerts.work","time":"2026-12-04T02:00:00Z"}""", CancellationToken.None));
    }

    [Fact]
    public async Task The_queue_keeps_the_work_invisible_until_it_is_due()
    {
        var storage = Options.Create(new StorageOptions { TablePrefix = TestStorage.NewPrefix() });
        var queues = new EventQueues(new QueueServiceClient(TestStorage.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }), Options.Create(new EventBusOptions()), storage);
        await queues.CreateAllAsync(CancellationToken.None);
        var scheduler = new QueueAlertWorkScheduler(queues, TimeProvider.System);
        var item = Retry with { Time = DateTimeOffset.UtcNow.AddSeconds(2) };

        await scheduler.ScheduleAsync(item, CancellationToken.None);

        Assert.Empty((await queues.Alerts.ReceiveMessagesAsync(1)).Value);
        var message = await Eventually.GetAsync(async () => (await queues.Alerts.ReceiveMessagesAsync(1)).Value.FirstOrDefault(), TimeSpan.FromSeconds(10), "the work item to become visible");
        Assert.True(DateTimeOffset.UtcNow >= item.Time.AddMilliseconds(-500));
        Assert.Equal(item, AlertWorkItem.Parse(message.Body));
        await queues.Alerts.DeleteAsync();
        await queues.PoisonOf(queues.Alerts).DeleteAsync();
        await queues.Restarts.DeleteAsync();
        await queues.PoisonOf(queues.Restarts).DeleteAsync();
    }
}
