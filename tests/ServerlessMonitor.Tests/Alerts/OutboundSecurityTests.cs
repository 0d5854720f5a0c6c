using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using ServerlessMonitor.Alerts;
using ServerlessMonitor.Alerts.Channels;
using ServerlessMonitor.Alerts.Network;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Alerts;

/// <summary>
/// Channel URLs must not become a way into the monitor's own network (SSRF): addresses are checked when the connection
/// is made, after resolving the name, and a refused address is never dialled.
/// </summary>
public sealed class OutboundSecurityTests
{
    [Theory]
    [InlineData("8.8.8.8", AddressRange.Public)]
    [InlineData("2606:4700:4700::1111", AddressRange.Public)]
    [InlineData("127.0.0.1", AddressRange.Loopback)]
    [InlineData("::1", AddressRange.Loopback)]
    [InlineData("10.0.0.1", AddressRange.Private)]
    [InlineData("172.31.255.1", AddressRange.Private)]
    [InlineData("192.168.1.10", AddressRange.Private)]
    [InlineData("fd12:3456::1", AddressRange.Private)]
    [InlineData("169.254.10.10", AddressRange.LinkLocal)]
    [InlineData("fe80::1", AddressRange.LinkLocal)]
    [InlineData("100.64.0.1", AddressRange.SharedAddressSpace)]
    [InlineData("169.254.169.254", AddressRange.Metadata)]
    [InlineData("fd00:ec2::254", AddressRange.Metadata)]
    [InlineData("168.63.129.16", AddressRange.Metadata)]
    [InlineData("::ffff:10.0.0.1", AddressRange.Private)]
    [InlineData("::ffff:169.254.169.254", AddressRange.Metadata)]
    [InlineData("64:ff9b::a00:1", AddressRange.Private)]
    [InlineData("2002:a9fe:a9fe::1", AddressRange.Metadata)]
    [InlineData("0.0.0.0", AddressRange.Reserved)]
    [InlineData("224.0.0.1", AddressRange.Reserved)]
    public void Addresses_are_classified_by_range_also_when_wrapped_in_IPv6(string address, AddressRange expected) =>
        Assert.Equal(expected, OutboundAddressPolicy.Classify(IPAddress.Parse(address)));

    [Fact]
    public void Only_public_addresses_are_allowed_by_default_and_metadata_only_when_listed_explicitly()
    {
        var strict = new OutboundAddressPolicy(allowPrivateNetworks: false, []);
        var lan = new OutboundAddressPolicy(allowPrivateNetworks: true, []);
        var listed = new OutboundAddressPolicy(allowPrivateNetworks: false, [IPNetwork.Parse("10.20.0.0/16"), IPNetwork.Parse("169.254.169.254/32")]);

        Assert.True(strict.IsAllowed(IPAddress.Parse("8.8.8.8"), out _));
        Assert.False(strict.IsAllowed(IPAddress.Parse("10.0.0.1"), out _));
        Assert.False(strict.IsAllowed(IPAddress.Parse("127.0.0.1"), out _));
        Assert.True(lan.IsAllowed(IPAddress.Parse("10.0.0.1"), out _));
        Assert.True(lan.IsAllowed(IPAddress.Parse("127.0.0.1"), out _));
        Assert.False(lan.IsAllowed(IPAddress.Parse("169.254.169.254"), out _));
        Assert.False(lan.IsAllowed(IPAddress.Parse("224.0.0.1"), out _));
        Assert.True(listed.IsAllowed(IPAddress.Parse("10.20.3.4"), out _));
        Assert.False(listed.IsAllowed(IPAddress.Parse("10.21.3.4"), out _));
        Assert.True(listed.IsAllowed(IPAddress.Parse("169.254.169.254"), out _));
    }

    [Fact]
    public async Task Metadata_and_private_endpoints_are_refused_before_any_connection_is_attempted()
    {
        await using var alerts = await AlertsHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Alerts:Channels:metadata:Type"] = "webhook",
            ["Alerts:Channels:metadata:Url"] = "http://169.254.169.254/latest/meta-data/",
            ["Alerts:Channels:private:Type"] = "webhook",
            ["Alerts:Channels:private:Url"] = "http://10.0.0.1/hook",
            ["Alerts:Channels:imds6:Type"] = "slack",
            ["Alerts:Channels:imds6:Url"] = "http://[fd00:ec2::254]/hook",
        });
        var dialled = CountConnections(alerts);
        var outage = TestEvents.Outage("ssrf-target");

        await alerts.HandleAsync(outage);

        Assert.Empty(dialled);
        Assert.Empty(alerts.Work.All);
        var dead = (await alerts.ListDeliveriesAsync("dead")).Deliveries.ToDictionary(d => d.Channel);
        Assert.Equal(3, dead.Count);
        Assert.Contains("169.254.169.254 (a cloud metadata endpoint)", dead["metadata"].LastError, StringComparison.Ordinal);
        Assert.Contains("10.0.0.1 (a private network)", dead["private"].LastError, StringComparison.Ordinal);
        Assert.Contains("fd00:ec2::254 (a cloud metadata endpoint)", dead["imds6"].LastError, StringComparison.Ordinal);
        Assert.Contains(alerts.Logs.Lines, l => l.Contains("Channel private: the request was refused before connecting", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_host_name_is_judged_by_what_it_resolves_to()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        var byName = new UriBuilder(receiver.Url("hook")) { Host = "localhost" }.Uri.ToString();
        await using var strict = await AlertsHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Alerts:AllowedNetworks:0"] = "",
            ["Alerts:Channels:hook:Type"] = "webhook",
            ["Alerts:Channels:hook:Url"] = byName,
        });
        var dialled = CountConnections(strict);

        await strict.HandleAsync(TestEvents.Outage("by-name"));

        Assert.Empty(dialled);
        Assert.Empty(receiver.Requests);
        Assert.Contains("loopback", Assert.Single((await strict.ListDeliveriesAsync("dead")).Deliveries).LastError, StringComparison.Ordinal);

        await using var lan = await AlertsHarness.StartAsync(new Dictionary<string, string?>
        {
            ["Alerts:AllowedNetworks:0"] = "",
            ["Alerts:AllowPrivateNetworks"] = "true",
            ["Alerts:Channels:hook:Type"] = "webhook",
            ["Alerts:Channels:hook:Url"] = byName,
        });
        var lanDialled = CountConnections(lan);

        await lan.HandleAsync(TestEvents.Outage("by-name"));

        Assert.Single(receiver.Requests);
        Assert.All(lanDialled, a => Assert.True(IPAddress.IsLoopback(a)));
    }

    [Fact]
    public async Task Plain_http_is_refused_at_send_time_when_https_is_required()
    {
        await using var receiver = await HttpReceiver.StartAsync();
        await using var alerts = await AlertsHarness.StartAsync(new Dictionary<string, string?> { ["Alerts:AllowHttp"] = "false" });
        var sender = alerts.Services.GetRequiredService<AlertHttpSender>();

        using var request = new HttpRequestMessage(HttpMethod.Post, receiver.Url("hook"));
        var result = await sender.SendAsync("hook", request, [], CancellationToken.None);

        Assert.Equal(SendOutcome.Rejected, result.Outcome);
        Assert.Contains("plain http", result.Error, StringComparison.Ordinal);
        Assert.Empty(receiver.Requests);
    }

    private static ConcurrentBag<IPAddress> CountConnections(AlertsHarness alerts)
    {
        var dialled = new ConcurrentBag<IPAddress>();
        var guard = alerts.Services.GetRequiredService<OutboundConnectionGuard>();
        var connect = guard.OpenConnection;
        guard.OpenConnection = (address, port, cancellationToken) =>
        {
            dialled.Add(address);
            return connect(address, port, cancellationToken);
        };
        return dialled;
    }
}
