using Microsoft.Extensions.DependencyInjection;
using ServerlessMonitor.Dashboard;
using ServerlessMonitor.Heartbeats;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Dashboard;

/// <summary>Tokens and cost per agent per UTC day, as <c>GET /api/agents/{agent}/usage</c> reports them (Azurite, fake clock).</summary>
public sealed class UsageApiTests : IAsyncLifetime
{
    private CoreHarness _core = null!;

    public async Task InitializeAsync() => _core = await CoreHarness.StartAsync();

    public async Task DisposeAsync() => await _core.DisposeAsync();

    private AgentsApi Api => _core.Services.GetRequiredService<AgentsApi>();

    [Fact]
    public async Task Usage_lists_finished_days_and_today_with_totals()
    {
        await SpendAsync(tokens: 1000, cost: 0.25m);
        await SpendAsync(tokens: 500, cost: 0.10m);
        _core.Time.Advance(TimeSpan.FromDays(1));
        await SpendAsync(tokens: 7, cost: 0.01m);
        _core.Time.Advance(TimeSpan.FromDays(1));
        await SpendAsync(tokens: 3, cost: 0m);

        var usage = await UsageAsync("spender", "30");

        Assert.Equal(
            [(new DateOnly(2026, 12, 4), 1500L, 0.35m), (new DateOnly(2026, 12, 5), 7L, 0.01m), (new DateOnly(2026, 12, 6), 3L, 0m)],
            usage.Days.Select(d => (d.Day, d.Tokens, d.CostUsd)));
        Assert.Equal(1510, usage.TotalTokens);
        Assert.Equal(0.36m, usage.TotalCostUsd);

        var lastTwoDays = await UsageAsync("spender", "2");
        Assert.Equal([new DateOnly(2026, 12, 5), new DateOnly(2026, 12, 6)], lastTwoDays.Days.Select(d => d.Day));
    }

    [Theory]
    [InlineData("spender", "0", 400)]
    [InlineData("spender", "-3", 400)]
    [InlineData("spender", "many", 400)]
    [InlineData("spender", "400", 400)]
    [InlineData("bad name", null, 400)]
    [InlineData("nobody", null, 404)]
    public async Task Bad_usage_queries_get_problems(string agent, string? days, int status)
    {
        await SpendAsync(tokens: 1, cost: 0m);

        var response = await Api.UsageAsync(agent, days, CancellationToken.None);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.ContentType);
    }

    private Task SpendAsync(long tokens, decimal cost) =>
        _core.Heartbeats.RecordAsync(new Heartbeat { Agent = "spender", Tokens = tokens, CostUsd = cost }, CancellationToken.None);

    private async Task<UsageView> UsageAsync(string agent, string days)
    {
        var response = await Api.UsageAsync(agent, days, CancellationToken.None);
        Assert.Equal(200, response.StatusCode);
        return Assert.IsType<UsageView>(response.Body);
    }
}
