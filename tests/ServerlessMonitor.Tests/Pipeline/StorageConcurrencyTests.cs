using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Events;
using ServerlessMonitor.Heartbeats;
using ServerlessMonitor.Restarts;
using ServerlessMonitor.Storage;
using ServerlessMonitor.Sweeping;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Pipeline;

/// <summary>Optimistic concurrency and the deadline index against real Table Storage (Azurite).</summary>
public sealed class StorageConcurrencyTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 12, 4, 2, 0, 0, TimeSpan.Zero);
    private MonitorTables _tables = null!;

    public async Task InitializeAsync() => _tables = await TestStorage.CreateTablesAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Of_two_concurrent_transitions_from_the_same_state_exactly_one_wins()
    {
        var agents = new AgentRepository(_tables);
        var stored = await agents.TryAddAsync(AgentLifecycle.Register(new Heartbeat { Agent = "raced" }, Now, new MonitorOptions()), CancellationToken.None);

        var results = await Task.WhenAll(
            agents.TryReplaceAsync(AgentLifecycle.GoDown(stored!, IncidentReason.TimedOut, "raced@1", Now), CancellationToken.None),
            agents.TryReplaceAsync(stored! with { LastMessage = "heartbeat won" }, CancellationToken.None));

        Assert.Single(results, r => r is not null);
        var winner = results.Single(r => r is not null)!;
        var after = await agents.GetAsync("raced", CancellationToken.None);
        Assert.Equal(winner.Status, after!.Status);
        Assert.Equal(winner.ETag, after.ETag);
    }

    [Fact]
    public async Task Registering_the_same_agent_twice_keeps_the_first()
    {
        var agents = new AgentRepository(_tables);
        var first = AgentLifecycle.Register(new Heartbeat { Agent = "twin", Host = "first" }, Now, new MonitorOptions());

        Assert.NotNull(await agents.TryAddAsync(first, CancellationToken.None));
        Assert.Null(await agents.TryAddAsync(first with { Host = "second" }, CancellationToken.None));
        Assert.Equal("first", (await agents.GetAsync("twin", CancellationToken.None))!.Host);
    }

    [Fact]
    public async Task Deadline_index_returns_only_due_entries_in_deadline_order()
    {
        var index = new DeadlineIndex(_tables);
        for (var i = 0; i < 40; i++)
        {
            await index.SetAsync($"agent-{i:D2}", Now.AddSeconds(i), CancellationToken.None);
        }

        var due = new List<DeadlineEntry>();
        for (var shard = 0; shard < DeadlineIndex.ShardCount; shard++)
        {
            await foreach (var entry in index.QueryDueAsync(shard, Now.AddSeconds(9.5), CancellationToken.None))
            {
                due.Add(entry);
            }
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"agent-{i:D2}"), due.Select(e => e.Agent).Order());
        Assert.All(due, e => Assert.True(e.Deadline <= Now.AddSeconds(9.5)));
    }

    [Fact]
    public async Task Moving_an_entry_leaves_exactly_one_entry_at_the_new_deadline()
    {
        var index = new DeadlineIndex(_tables);
        await index.SetAsync("mover", Now, CancellationToken.None);
        var entry = new DeadlineEntry("mover", Now);

        await index.MoveAsync(entry, Now.AddMinutes(2), CancellationToken.None);
        // A second sweep moving the same (already moved) entry does no harm.
        await index.MoveAsync(entry, Now.AddMinutes(2), CancellationToken.None);

        var shard = DeadlineIndex.ShardOf("mover");
        var all = new List<DeadlineEntry>();
        await foreach (var e in index.QueryDueAsync(shard, Now.AddDays(1), CancellationToken.None))
        {
            all.Add(e);
        }
        Assert.Equal(Now.AddMinutes(2), Assert.Single(all, e => e.Agent == "mover").Deadline);
    }

    [Fact]
    public async Task Queue_consumer_moves_a_message_that_is_not_an_event_to_the_poison_queue()
    {
        var queues = new QueueServiceClient(TestStorage.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var queue = queues.GetQueueClient(TestStorage.NewPrefix() + "alerts");
        var poison = queues.GetQueueClient(queue.Name + "-poison");
        await queue.CreateAsync();
        await poison.CreateAsync();
        await queue.SendMessageAsync(BinaryData.FromString("this is not an event"));
        await using var core = await CoreHarness.StartAsync();
        var consumer = new QueueEventConsumer(queue, poison, core.Services.GetRequiredService<RestartRequester>(), new QueueConsumerOptions(), TimeProvider.System, NullLogger<QueueEventConsumer>.Instance);

        var message = (await queue.ReceiveMessageAsync()).Value;
        await consumer.ProcessAsync(message, CancellationToken.None);

        Assert.Equal("this is not an event", (await poison.ReceiveMessageAsync()).Value.Body.ToString());
        Assert.Null((await queue.PeekMessageAsync()).Value);
    }
}
