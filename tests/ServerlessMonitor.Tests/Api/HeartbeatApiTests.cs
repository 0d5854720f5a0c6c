using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Api;

/// <summary>The heartbeat routes over real HTTP on the standalone host: good input is recorded, garbage gets a 4xx problem and changes nothing.</summary>
public sealed class HeartbeatApiTests : IAsyncLifetime
{
    private MonitorHost _host = null!;

    public async Task InitializeAsync() => _host = await MonitorHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Heartbeat_registers_and_answers_with_the_agent_state_and_next_deadline()
    {
        var response = await _host.HeartbeatAsync(new { agent = "api-agent", status = "start", host = "docker-1", container = "api-agent-1", message = "booting", tokens = 12, costUsd = 0.01, progress = 3 });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("api-agent", body.GetProperty("agent").GetString());
        Assert.Equal("up", body.GetProperty("status").GetString());
        Assert.Equal("registered", body.GetProperty("outcome").GetString());
        Assert.Equal(120, body.GetProperty("timeoutSeconds").GetInt32());
        var deadline = body.GetProperty("deadline").GetDateTimeOffset();
        Assert.Equal(body.GetProperty("lastHeartbeatAt").GetDateTimeOffset().AddSeconds(120), deadline);
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("POST")]
    public async Task One_line_ping_without_a_body_records_a_heartbeat(string method)
    {
        var response = await _host.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), $"api/heartbeat/ping-{method.ToLowerInvariant()}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var agent = await _host.Client.GetFromJsonAsync<JsonElement>($"api/agents/ping-{method.ToLowerInvariant()}");
        Assert.Equal(1, agent.GetProperty("heartbeatCount").GetInt32());
    }

    [Fact]
    public async Task Plain_curl_form_content_type_is_read_as_json()
    {
        var response = await _host.Client.PostAsync("api/heartbeat", new StringContent("{\"agent\":\"curl-agent\"}", Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("{\"agent\":\"x\"", "malformed-json")]
    [InlineData("not json at all", "malformed-json")]
    [InlineData("null", "malformed-json")]
    [InlineData("[1,2]", "malformed-json")]
    [InlineData("", "malformed-json")]
    [InlineData("{\"agent\":\"bad-types\",\"tokens\":\"many\"}", "malformed-json")]
    [InlineData("{\"agent\":42}", "malformed-json")]
    [InlineData("{\"agent\":\"bad-status\",\"status\":\"sleeping\"}", "malformed-json")]
    [InlineData("{\"agent\":\"bad-status\",\"status\":1}", "malformed-json")]
    [InlineData("{}", "validation")]
    [InlineData("{\"agent\":\"\"}", "validation")]
    [InlineData("{\"agent\":\"has space\"}", "validation")]
    [InlineData("{\"agent\":\"../../etc\"}", "validation")]
    [InlineData("{\"agent\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}", "validation")]
    [InlineData("{\"agent\":\"neg\",\"tokens\":-1}", "validation")]
    [InlineData("{\"agent\":\"neg\",\"costUsd\":-0.5}", "validation")]
    [InlineData("{\"agent\":\"neg\",\"progress\":-3}", "validation")]
    [InlineData("{\"agent\":\"neg\",\"timeoutSeconds\":0}", "validation")]
    [InlineData("{\"agent\":\"neg\",\"intervalSeconds\":-60}", "validation")]
    [InlineData("{\"agent\":\"neg\",\"timeoutSeconds\":30,\"intervalSeconds\":60}", "validation")]
    [InlineData("{\"agent\":\"neg\",\"host\":\"a/b\"}", "validation")]
    [InlineData("{\"agent\":\"neg\",\"container\":\"-bad\"}", "validation")]
    public async Task Bad_heartbeat_gets_400_problem_and_stores_nothing(string body, string problemType)
    {
        var response = await _host.Client.PostAsync("api/heartbeat", new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, problemType);
        var agents = await _host.Client.GetFromJsonAsync<JsonElement>("api/agents");
        Assert.Equal(0, agents.GetArrayLength());
    }

    [Fact]
    public async Task Message_over_one_kilobyte_is_refused_with_the_field_named()
    {
        var response = await _host.HeartbeatAsync(new { agent = "chatty", message = new string('x', 1025) });

        var problem = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "validation");
        Assert.True(problem.GetProperty("errors").TryGetProperty("message", out _));
    }

    [Fact]
    public async Task Body_over_16_kilobytes_is_refused()
    {
        var padding = new string(' ', 16 * 1024);
        var response = await _host.Client.PostAsync("api/heartbeat", new StringContent("{\"agent\":\"big\"" + padding + "}", Encoding.UTF8, "application/json"));

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "body-too-large");
        Assert.Equal(HttpStatusCode.NotFound, (await _host.Client.GetAsync("api/agents/big")).StatusCode);
    }

    [Fact]
    public async Task Unknown_fields_are_ignored_so_newer_agents_keep_working()
    {
        var response = await _host.HeartbeatAsync(new { agent = "future-agent", gpu = new { temperature = 71 } });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Ping_with_a_bad_status_is_refused()
    {
        var response = await _host.Client.GetAsync("api/heartbeat/pinger?status=maybe");

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "validation");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-key-0123456789abcdef")]
    public async Task Heartbeat_without_a_valid_key_gets_401(string? key)
    {
        using var anonymous = new HttpClient { BaseAddress = _host.BaseAddress };
        var request = new HttpRequestMessage(HttpMethod.Post, "api/heartbeat") { Content = JsonContent.Create(new { agent = "sneaky" }) };
        if (key is not null)
        {
            request.Headers.Add("x-functions-key", key);
        }

        var response = await anonymous.SendAsync(request);

        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Key_in_the_code_query_parameter_is_accepted_like_azure_functions()
    {
        using var anonymous = new HttpClient { BaseAddress = _host.BaseAddress };

        var response = await anonymous.GetAsync($"api/heartbeat/query-key-agent?code={MonitorHost.ApiKey}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Health_is_anonymous_and_reports_storage()
    {
        using var anonymous = new HttpClient { BaseAddress = _host.BaseAddress };

        var health = await anonymous.GetFromJsonAsync<JsonElement>("api/health");

        Assert.Equal("healthy", health.GetProperty("status").GetString());
        Assert.Equal("reachable", health.GetProperty("storage").GetString());
    }

    [Fact]
    public async Task Unknown_agent_and_unknown_route_get_404_problems()
    {
        await AssertProblemAsync(await _host.Client.GetAsync("api/agents/nobody"), HttpStatusCode.NotFound, "not-found");
        await AssertProblemAsync(await _host.Client.GetAsync("api/nothing-here"), HttpStatusCode.NotFound, "not-found");
    }

    internal static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string problemType)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.EndsWith("/" + problemType, problem.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        return problem;
    }
}
