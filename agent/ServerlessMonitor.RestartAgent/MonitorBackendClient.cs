using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;

namespace ServerlessMonitor.RestartAgent;

public enum ReportDelivery
{
    /// <summary>The monitor recorded the result (or had it already).</summary>
    Recorded,
    /// <summary>The monitor will never take this result (the command is unknown, expired or withdrawn): forget it.</summary>
    Rejected,
}

/// <summary>The monitor's host API, as the restart agent uses it. The host key travels in the <c>x-host-key</c> header of every request.</summary>
public sealed class MonitorBackendClient(HttpClient http, IOptions<RestartAgentOptions> options)
{
    public const string HostKeyHeader = "x-host-key";
    public const string AgentVersionHeader = "x-agent-version";

    /// <summary>Leases the host's pending commands; the poll itself tells the monitor that this host is alive.</summary>
    public async Task<IReadOnlyList<HostCommand>> LeaseCommandsAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var path = $"api/hosts/{Uri.EscapeDataString(settings.HostId)}/commands?pollIntervalSeconds={settings.PollIntervalSeconds.ToString(CultureInfo.InvariantCulture)}";
        using var response = await http.GetAsync(path, cancellationToken).ConfigureAwait(false);
        await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadFromJsonAsync(AgentJsonContext.Default.HostCommandsResponse, cancellationToken).ConfigureAwait(false);
        return body?.Commands ?? [];
    }

    public async Task<ReportDelivery> ReportAsync(string commandId, RestartReport report, CancellationToken cancellationToken)
    {
        var path = $"api/hosts/{Uri.EscapeDataString(options.Value.HostId)}/commands/{Uri.EscapeDataString(commandId)}/result";
        using var response = await http.PostAsJsonAsync(path, report, AgentJsonContext.Default.RestartReport, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            return ReportDelivery.Rejected;
        }
        await ThrowIfFailedAsync(response, cancellationToken).ConfigureAwait(false);
        return ReportDelivery.Recorded;
    }

    private static async Task ThrowIfFailedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }
        var detail = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (detail.Length > 500)
        {
            detail = detail[..500];
        }
        throw new BackendException(response.StatusCode, response.StatusCode == HttpStatusCode.Unauthorized
            ? "The monitor refused the host key (401): check RestartAgent:HostKey and RestartAgent:HostId, or create a key with POST /api/hosts/{host}/keys."
            : $"The monitor answered {(int)response.StatusCode}: {detail}");
    }
}

public sealed class BackendException(HttpStatusCode status, string message) : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
}
