using System.ComponentModel.DataAnnotations;
using ServerlessMonitor.RestartAgent;

namespace ServerlessMonitor.Tests.Restarts;

/// <summary>The restart agent refuses to start with settings that would leak its key or could not work.</summary>
public sealed class RestartAgentOptionsTests
{
    [Theory]
    [InlineData("https://monitor.example.com/", false, true)]
    [InlineData("http://monitor.example.com/", true, false)]
    [InlineData("http://127.0.0.1:8080/", false, false)]
    [InlineData("http://127.0.0.1:8080/", true, true)]
    [InlineData("http://[::1]:8080/", true, true)]
    [InlineData("ftp://monitor.example.com/", true, false)]
    public void Backend_must_be_https_except_loopback_http_when_allowed(string url, bool allowInsecureHttp, bool valid)
    {
        var options = Valid();
        options.BackendUrl = new Uri(url);
        options.AllowInsecureHttp = allowInsecureHttp;
        Assert.Equal(valid, Errors(options).Count == 0);
    }

    [Fact]
    public void Docker_api_timeout_must_exceed_the_stop_timeout()
    {
        var options = Valid();
        options.StopTimeoutSeconds = 10;
        options.DockerApiTimeoutSeconds = 10;
        Assert.Contains(Errors(options), e => e.Contains("DockerApiTimeoutSeconds", StringComparison.Ordinal));
        options.DockerApiTimeoutSeconds = 0;
        Assert.Empty(Errors(options));
        Assert.Equal(TimeSpan.FromSeconds(40), options.DockerApiTimeout);
    }

    [Fact]
    public void Host_id_and_key_are_required()
    {
        var options = Valid();
        options.HostId = "";
        options.HostKey = "";
        var errors = Errors(options);
        Assert.Contains(errors, e => e.Contains("HostId", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("HostKey", StringComparison.Ordinal));
    }

    private static RestartAgentOptions Valid() => new()
    {
        BackendUrl = new Uri("https://monitor.example.com/"),
        HostId = "docker-1",
        HostKey = "abcdefabcdef.0123456789abcdef0123456789",
    };

    private static List<string> Errors(RestartAgentOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return [.. results.Select(r => r.ErrorMessage!)];
    }
}
