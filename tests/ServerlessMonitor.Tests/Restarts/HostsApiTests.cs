using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using ServerlessMonitor.Restarts;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Restarts;

/// <summary>The host and policy routes over real HTTP on the standalone host: keys (created once, hashed, revocable), the agent routes' key check, leases, and bad input.</summary>
public sealed class HostsApiTests : IAsyncLifetime
{
    private MonitorHost _host = null!;

    public async Task InitializeAsync() => _host = await MonitorHost.StartAsync(new Dictionary<string, string?> { ["Restarts:LeaseSeconds"] = "30" });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Host_key_is_shown_once_stored_hashed_and_opens_only_its_own_host()
    {
        var created = await _host.Client.PostAsync("api/hosts/docker-a/keys", null);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var key = body.GetProperty("key").GetString()!;
        var keyId = body.GetProperty("keyId").GetString()!;
        Assert.StartsWith(keyId + ".", key, StringComparison.Ordinal);

        // Only a hash is stored.
        await foreach (var row in _host.Tables.Hosts.QueryAsync<Azure.Data.Tables.TableEntity>(e => e.PartitionKey == "docker-a"))
        {
            Assert.DoesNotContain(row, p => p.Value is string s && s.Contains(key.Split('.')[1], StringComparison.Ordinal));
        }

        Assert.Equal(HttpStatusCode.OK, (await PollAsync("docker-a", key)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PollAsync("docker-b", key)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PollAsync("docker-a", key[..^1] + (key[^1] == 'A' ? 'B' : 'A'))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await PollAsync("docker-a", null)).StatusCode);
        // The admin API key is not a host key.
        Assert.Equal(HttpStatusCode.Unauthorized, (await PollAsync("docker-a", MonitorHost.ApiKey)).StatusCode);

        var revoked = await _host.Client.DeleteAsync($"api/hosts/docker-a/keys/{keyId}");
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        var refused = await PollAsync("docker-a", key);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Client.DeleteAsync($"api/hosts/docker-a/keys/{keyId}")).StatusCode);
    }

    [Fact]
    public async Task Admin_routes_need_the_api_key()
    {
        using var anonymous = new HttpClient { BaseAddress = _host.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("api/hosts/docker-a/keys", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.DeleteAsync("api/hosts/docker-a/keys/abcdefabcdef")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PutAsJsonAsync("api/agents/x/policy", new { maxRestarts = 1 })).StatusCode);
    }

    [Fact]
    public async Task Bad_input_is_a_400_problem()
    {
        var key = await CreateKeyAsync("docker-c");
        Assert.Equal(HttpStatusCode.BadRequest, (await _host.Client.PostAsync("api/hosts/bad%20host/keys", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _host.Client.DeleteAsync("api/hosts/docker-c/keys/NOT-AN-ID")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PollAsync("docker-c", key, "?pollIntervalSeconds=0")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ResultAsync("docker-c", key, "not-a-uuid", "{\"outcome\":\"succeeded\"}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ResultAsync("docker-c", key, Guid.NewGuid().ToString(), "{\"outcome\":\"exploded\"}")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await ResultAsync("docker-c", key, Guid.NewGuid().ToString(), "{\"outcome\":\"failed\",\"logTail\":\"" + new string('x', 20_000) + "\"}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await ResultAsync("docker-c", key, Guid.NewGuid().ToString(), "{\"outcome\":\"succeeded\"}")).StatusCode);

        await _host.HeartbeatAsync(new { agent = "policy-agent" });
        var invalid = await _host.Client.PutAsJsonAsync("api/agents/policy-agent/policy", new { maxRestarts = -1, backoffInitialSeconds = 100, backoffMaxSeconds = 10 });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
        var errors = (await invalid.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.True(errors.TryGetProperty("maxRestarts", out _));
        Assert.True(errors.TryGetProperty("backoffInitialSeconds", out _));
        Assert.Equal(HttpStatusCode.BadRequest, (await _host.Client.PutAsync("api/agents/policy-agent/policy", new StringContent("{\"recoveryAction\":\"reboot\"}", Encoding.UTF8, "application/json"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Client.PutAsJsonAsync("api/agents/nobody/policy", new { maxRestarts = 1 })).StatusCode);
    }

    [Fact]
    public async Task Policy_overrides_are_stored_on_the_agent_and_the_rest_follows_the_defaults()
    {
        await _host.HeartbeatAsync(new { agent = "batch" });
        var put = await _host.Client.PutAsJsonAsync("api/agents/batch/policy", new { recoveryAction = "alert-only", maxRestarts = 5, restartOnCleanExit = false });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var policy = await _host.Client.GetFromJsonAsync<JsonElement>("api/agents/batch/policy");
        Assert.Equal("alert-only", policy.GetProperty("recoveryAction").GetString());
        Assert.Equal(5, policy.GetProperty("maxRestarts").GetInt32());
        Assert.Equal(600, policy.GetProperty("restartWindowSeconds").GetInt32());
        Assert.False(policy.GetProperty("restartOnCleanExit").GetBoolean());
        Assert.Equal(5, policy.GetProperty("overrides").GetProperty("maxRestarts").GetInt32());

        // Heartbeats keep the policy.
        await _host.HeartbeatAsync(new { agent = "batch" });
        Assert.Equal(5, (await _host.Client.GetFromJsonAsync<JsonElement>("api/agents/batch/policy")).GetProperty("maxRestarts").GetInt32());
    }

    [Fact]
    public async Task Pollers_racing_for_a_command_never_both_get_it_and_an_expired_lease_offers_it_again()
    {
        var key = await CreateKeyAsync("docker-d");
        var commands = _host.Services.GetRequiredService<RestartCommandRepository>();
        var now = DateTimeOffset.UtcNow;
        var id = Guid.NewGuid().ToString();
        await commands.TryAddAsync(new RestartCommand { Id = id, Host = "docker-d", Agent = "a", IncidentId = "a@1", Attempt = 1, Status = CommandStatus.Pending, CreatedAt = now, ExpiresAt = now.AddMinutes(5) }, CancellationToken.None);

        var polls = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => PollAsync("docker-d", key)));
        var handedOut = 0;
        foreach (var poll in polls)
        {
            Assert.Equal(HttpStatusCode.OK, poll.StatusCode);
            handedOut += (await poll.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("commands").GetArrayLength();
        }
        Assert.Equal(1, handedOut);

        // The holder dies: once its lease is over, the command is offered again (second delivery).
        var leased = (await commands.GetAsync("docker-d", id, CancellationToken.None))!;
        await commands.TryReplaceAsync(leased with { LeaseExpiresAt = DateTimeOffset.UtcNow.AddSeconds(-1) }, CancellationToken.None);
        var again = await (await PollAsync("docker-d", key)).Content.ReadFromJsonAsync<JsonElement>();
        var offered = Assert.Single(again.GetProperty("commands").EnumerateArray());
        Assert.Equal(2, offered.GetProperty("deliveries").GetInt32());

        // The poll is also the host's heartbeat.
        var host = await _host.Tables.Hosts.GetEntityAsync<Azure.Data.Tables.TableEntity>("docker-d", "host");
        Assert.Equal(7, host.Value.GetInt32("PollIntervalSeconds"));
    }

    private async Task<string> CreateKeyAsync(string host)
    {
        var created = await _host.Client.PostAsync($"api/hosts/{host}/keys", null);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    private async Task<HttpResponseMessage> PollAsync(string host, string? key, string query = "?pollIntervalSeconds=7")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_host.BaseAddress, $"api/hosts/{host}/commands{query}"));
        if (key is not null)
        {
            request.Headers.Add("x-host-key", key);
        }
        using var client = new HttpClient();
        return await client.SendAsync(request);
    }

    private async Task<HttpResponseMessage> ResultAsync(string host, string key, string id, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_host.BaseAddress, $"api/hosts/{host}/commands/{id}/result"))
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-host-key", key);
        using var client = new HttpClient();
        return await client.SendAsync(request);
    }
}
