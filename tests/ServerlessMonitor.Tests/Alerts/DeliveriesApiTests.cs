using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using ServerlessMonitor.Alerts;
using ServerlessMonitor.Events;
using ServerlessMonitor.Functions.Alerts;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Alerts;

/// <summary><c>GET /api/deliveries?status=dead</c> on the standalone host and the Functions class: what was given up, and which channels are off.</summary>
public sealed class DeliveriesApiTests : IAsyncLifetime
{
    private HttpReceiver _receiver = null!;
    private MonitorHost _host = null!;

    public async Task InitializeAsync()
    {
        _receiver = await HttpReceiver.StartAsync();
        _receiver.Respond = _ => Results.Text("unknown hook", statusCode: 404);
        _host = await MonitorHost.StartAsync(new Dictionary<string, string?>
        {
            ["Alerts:Channels:hook:Type"] = "webhook",
            ["Alerts:Channels:hook:Url"] = _receiver.Url("hooks/SecretPathToken").ToString(),
        });
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _receiver.DisposeAsync();
    }

    [Fact]
    public async Task Dead_deliveries_are_listed_with_the_channel_state_and_without_urls()
    {
        var outage = TestEvents.Outage("api-agent");
        await _host.Services.GetRequiredService<IEventPublisher>().PublishAsync(outage, CancellationToken.None);

        var body = await Eventually.GetAsync(async () =>
        {
            var json = await _host.Client.GetFromJsonAsync<JsonElement>("api/deliveries?status=dead");
            return json.GetProperty("deliveries").GetArrayLength() > 0 ? json.ToString() : null;
        }, TimeSpan.FromSeconds(10), "the dead delivery in the API");

        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal("dead", json.GetProperty("status").GetString());
        var channel = json.GetProperty("channels")[0];
        Assert.Equal(("hook", "webhook", true), (channel.GetProperty("name").GetString(), channel.GetProperty("type").GetString(), channel.GetProperty("enabled").GetBoolean()));
        var dead = json.GetProperty("deliveries")[0];
        Assert.Equal(outage.Id, dead.GetProperty("deliveryId").GetString());
        Assert.Equal("api-agent", dead.GetProperty("agent").GetString());
        Assert.Equal("agent.timed_out", dead.GetProperty("eventType").GetString());
        Assert.Equal(404, dead.GetProperty("lastHttpStatus").GetInt32());
        Assert.Equal("HTTP 404 Not Found: unknown hook", dead.GetProperty("lastError").GetString());
        Assert.DoesNotContain("SecretPathToken", body, StringComparison.Ordinal);
        Assert.DoesNotContain(_receiver.BaseAddress.Authority, body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api/deliveries?status=bogus", HttpStatusCode.BadRequest)]
    [InlineData("api/deliveries?limit=0", HttpStatusCode.BadRequest)]
    [InlineData("api/deliveries?status=retrying&limit=5", HttpStatusCode.OK)]
    public async Task The_query_is_validated(string path, HttpStatusCode expected)
    {
        var response = await _host.Client.GetAsync(path);

        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task The_list_needs_a_key()
    {
        using var anonymous = new HttpClient { BaseAddress = _host.BaseAddress };

        var response = await anonymous.GetAsync("api/deliveries?status=dead");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_functions_class_answers_like_the_standalone_route()
    {
        var function = new ListDeliveriesFunction(_host.Services.GetRequiredService<DeliveriesApi>());
        var context = new DefaultHttpContext { RequestServices = _host.Services };
        context.Request.QueryString = new QueryString("?status=dead&limit=10");
        context.Response.Body = new MemoryStream();

        var result = await function.Run(context.Request, CancellationToken.None);
        await result.ExecuteResultAsync(new ActionContext(context, new RouteData(), new ActionDescriptor()));

        Assert.Equal(200, context.Response.StatusCode);
        context.Response.Body.Position = 0;
        var json = await JsonSerializer.DeserializeAsync<JsonElement>(context.Response.Body);
        Assert.Equal("hook", json.GetProperty("channels")[0].GetProperty("name").GetString());
    }
}
