using Microsoft.Extensions.Options;
using ServerlessMonitor.Tests.Support;

namespace ServerlessMonitor.Tests.Api;

/// <summary>Misconfiguration stops the host at start-up with a message naming the setting, instead of failing later at 2 AM.</summary>
public sealed class StartupValidationTests
{
    [Theory]
    [InlineData("SweepSchedule", "every ten seconds", "SweepSchedule")]
    [InlineData("Monitor:DefaultTimeoutSeconds", "0", "DefaultTimeoutSeconds")]
    [InlineData("Auth:ApiKeys:0", "short", "Auth:ApiKeys")]
    [InlineData("MonitorStorage:TablePrefix", "Bad_Prefix", "TablePrefix")]
    public async Task Host_refuses_to_start_with_an_invalid_setting(string key, string value, string named)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => MonitorHost.StartAsync(new Dictionary<string, string?> { [key] = value }));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }
}
