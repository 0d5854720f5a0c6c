using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ServerlessMonitor.Alerts;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Alerts;

/// <summary>A mistake in the alert settings stops the host at start-up with a message naming the setting, never echoing a secret.</summary>
public sealed class AlertOptionsValidationTests
{
    private const string SecretUrl = "https://hooks.slack.com/services/T000/B000/SecretToken";

    public static TheoryData<string, string?, string, string?> Mistakes => new()
    {
        { "Alerts:Channels:x:Type", "email", "Alerts:Channels:x:Type 'email' is not a channel type", null },
        { "Alerts:Channels:x:Type", null, "Alerts:Channels:x:Type is required", null },
        { "Alerts:Channels:x:Url", null, "Alerts:Channels:x:Url is required", null },
        { "Alerts:Channels:x:Url", "not a url SecretToken", "Alerts:Channels:x:Url is not an absolute http(s) URL", "SecretToken" },
        { "Alerts:Channels:x:Url", "http://hooks.example.com/SecretToken", "Alerts:Channels:x:Url must use https", "SecretToken" },
        { "Alerts:Channels:hook:Secret", "not-a-whsec-SecretToken", "Alerts:Channels:hook:Secret must be 'whsec_'", "SecretToken" },
        { "Alerts:Channels:hook:Secret", "whsec_c2hvcnQ=", "Alerts:Channels:hook:Secret must be 'whsec_'", "c2hvcnQ" },
        { "Alerts:Channels:hook:PreviousSecret", "whsec_c2hvcnQ=", "Alerts:Channels:hook:PreviousSecret must be 'whsec_'", "c2hvcnQ" },
        { "Alerts:Channels:x:Events:0", "agent.exploded", "Alerts:Channels:x:Events names 'agent.exploded'", null },
        { "Alerts:Channels:bad name:Type", "slack", "Alerts:Channels:bad name: the channel name must be", null },
        { "Alerts:Routes:Default:0", "nope", "Alerts:Routes:Default names the channel 'nope'", null },
        { "Alerts:Routes:Agents:vip:0", "nope", "Alerts:Routes:Agents:vip names the channel 'nope'", null },
        { "Alerts:Routes:Agents:bad agent!:0", "x", "'bad agent!' is not a valid agent name", null },
        { "Alerts:AllowedNetworks:0", "10.0.0.0/33", "Alerts:AllowedNetworks:0 ('10.0.0.0/33') is not a CIDR network", null },
        { "Alerts:GroupingSeconds", "999", "Alerts:GroupingSeconds must be between 0 and 300", null },
        { "Alerts:ReminderMinutes", "-1", "Alerts:ReminderMinutes must be between 0", null },
        { "Alerts:RetryDelays:0", "-00:00:05", "Alerts:RetryDelays must be positive", null },
        { "Alerts:GiveUpAfter", "30.00:00:00", "Alerts:GiveUpAfter must be a positive duration", null },
        { "Alerts:Channels:tg:BotToken", null, "Alerts:Channels:tg:BotToken is required for a telegram channel", null },
        { "Alerts:Channels:tg:ChatId", null, "Alerts:Channels:tg:ChatId is required for a telegram channel", null },
        { "Alerts:Channels:tg:ApiBaseUrl", "http://relay.example.com/", "Alerts:Channels:tg:ApiBaseUrl must use https", null },
        { "Alerts:Channels:pd:RoutingKey", null, "Alerts:Channels:pd:RoutingKey is required for a pagerduty channel", null },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void A_mistake_is_reported_by_the_setting_it_is_in(string key, string? value, string message, string? mustNotEcho)
    {
        var settings = ValidSettings();
        settings[key] = value;

        var error = Assert.Throws<OptionsValidationException>(() => Validate(settings));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        if (mustNotEcho is not null)
        {
            Assert.DoesNotContain(mustNotEcho, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_documented_example_settings_are_valid()
    {
        var options = Validate(ValidSettings());

        Assert.Equal(4, options.Channels.Count);
        Assert.Equal(AlertOptions.DefaultRetryDelays, options.EffectiveRetryDelays);
        Assert.Equal(3, options.GroupingSeconds);
        Assert.Equal(0, options.ReminderMinutes);
    }

    [Fact]
    public async Task The_standalone_host_refuses_to_start_with_a_bad_channel()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => MonitorHost.StartAsync(new Dictionary<string, string?>
        {
            ["Alerts:Channels:chat:Type"] = "slack",
        }));

        Assert.Contains("Alerts:Channels:chat:Url is required", error.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> ValidSettings() => new()
    {
        ["Alerts:Channels:x:Type"] = "slack",
        ["Alerts:Channels:x:Url"] = SecretUrl,
        ["Alerts:Channels:hook:Type"] = "webhook",
        ["Alerts:Channels:hook:Url"] = "https://example.com/hooks",
        ["Alerts:Channels:hook:Secret"] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ["Alerts:Channels:tg:Type"] = "telegram",
        ["Alerts:Channels:tg:BotToken"] = "123:abc",
        ["Alerts:Channels:tg:ChatId"] = "-100123",
        ["Alerts:Channels:pd:Type"] = "pagerduty",
        ["Alerts:Channels:pd:RoutingKey"] = "R0UT1NGKEY",
        ["Alerts:Routes:Default:0"] = "x",
        ["Alerts:Routes:Agents:vip:0"] = "pd",
    };

    private static AlertOptions Validate(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        using var provider = new ServiceCollection().AddLogging().AddAlerts(configuration).BuildServiceProvider();
        return provider.GetRequiredService<IOptions<AlertOptions>>().Value;
    }
}
