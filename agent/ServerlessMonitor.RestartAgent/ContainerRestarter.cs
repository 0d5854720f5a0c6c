using System.Globalization;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ServerlessMonitor.RestartAgent;

/// <summary>
/// Carries out one restart command through the Docker Engine API: finds the agent's container, checks that it
/// opted in, captures why it died (state, health, last log lines), restarts it with the stop timeout, and says
/// what happened. Never throws for a Docker failure: the monitor is told instead.
/// </summary>
public sealed partial class ContainerRestarter(IDockerClient docker, CommandJournal journal, IOptions<RestartAgentOptions> options, TimeProvider time, ILogger<ContainerRestarter> logger)
{
    public const string OptInLabel = "serverless-monitor.restart";
    public const string AgentLabel = "serverless-monitor.agent";
    public const string ComposeServiceLabel = "com.docker.compose.service";

    private const int MaxLineChars = 1000;
    private const int MaxLogTailChars = 16 * 1024;
    private const int MaxHealthLogChars = 4 * 1024;

    public async Task<RestartReport> ExecuteAsync(HostCommand command, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        ContainerInspectResponse? container;
        try
        {
            container = await ResolveAsync(command, cancellationToken).ConfigureAwait(false);
        }
        catch (AmbiguousContainerException e)
        {
            return Refused(command, RestartReasons.Ambiguous, e.Message);
        }
        catch (Exception e) when (IsDockerFailure(e, cancellationToken))
        {
            LogDockerFailed(e, command.Agent, command.Id);
            return Refused(command, RestartReasons.DockerError, e.Message);
        }
        if (container is null)
        {
            return Refused(command, RestartReasons.ContainerNotFound,
                $"no container '{command.Container}' and none labelled {AgentLabel}={command.Agent} or {ComposeServiceLabel}={command.Agent}");
        }

        var name = container.Name.TrimStart('/');
        if (!settings.AllowAllContainers && !IsOptedIn(container))
        {
            LogNotOptedIn(name, command.Agent);
            return Refused(command, RestartReasons.NotOptedIn,
                $"container {name} lacks the label {OptInLabel}=true, and this restart agent restarts only containers that opt in") with
            { ContainerId = container.ID, ContainerName = name };
        }

        var context = await CaptureAsync(container, cancellationToken).ConfigureAwait(false);
        if (command.SkipIfExitedCleanly && !container.State.Running && container.State.ExitCode == 0)
        {
            LogSkippedCleanExit(name, command.Agent);
            return context with { Outcome = RestartOutcome.Skipped, Reason = RestartReasons.ExitedCleanly };
        }

        // Journal first: if this process dies during the restart, the next one finds out from the container whether it happened.
        await journal.MarkStartedAsync(command.Id, container.ID, context, cancellationToken).ConfigureAwait(false);
        try
        {
            await docker.Containers.RestartContainerAsync(container.ID,
                new ContainerRestartParameters { WaitBeforeKillSeconds = (uint)settings.StopTimeoutSeconds }, cancellationToken).ConfigureAwait(false);
            var restarted = await docker.Containers.InspectContainerAsync(container.ID, cancellationToken).ConfigureAwait(false);
            var restartedAt = ParseDockerTime(restarted.State.StartedAt) ?? time.GetUtcNow();
            LogRestarted(name, command.Agent, command.Id);
            return context with { Outcome = RestartOutcome.Succeeded, RestartedAt = restartedAt };
        }
        catch (Exception e) when (IsDockerFailure(e, cancellationToken))
        {
            LogDockerFailed(e, command.Agent, command.Id);
            return context with { Outcome = RestartOutcome.Failed, Reason = RestartReasons.DockerError, Error = Trim(e.Message, 2000) };
        }
    }

    /// <summary>
    /// The journal says an earlier run of this agent started the restart but never finished it. If the container started
    /// after that moment, the restart happened: report it without restarting again. Otherwise it never reached Docker: restart now.
    /// </summary>
    public async Task<RestartReport> ResumeAsync(HostCommand command, JournalEntry started, CancellationToken cancellationToken)
    {
        try
        {
            var container = await docker.Containers.InspectContainerAsync(started.ContainerId, cancellationToken).ConfigureAwait(false);
            if (ParseDockerTime(container.State.StartedAt) is { } startedAt && startedAt > started.StartedAt)
            {
                LogResumed(command.Id, command.Agent);
                return (started.Report ?? new RestartReport()) with
                {
                    Outcome = RestartOutcome.Succeeded,
                    ContainerId = container.ID,
                    ContainerName = container.Name.TrimStart('/'),
                    RestartedAt = startedAt,
                };
            }
        }
        catch (DockerContainerNotFoundException)
        {
            // Gone meanwhile: resolve it afresh below.
        }
        catch (Exception e) when (IsDockerFailure(e, cancellationToken))
        {
            LogDockerFailed(e, command.Agent, command.Id);
            return Refused(command, RestartReasons.DockerError, e.Message);
        }
        return await ExecuteAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The container of the command's agent: the reported container id or name, else the agent label, else the Compose service label.</summary>
    private async Task<ContainerInspectResponse?> ResolveAsync(HostCommand command, CancellationToken cancellationToken)
    {
        if (command.Container is { Length: > 0 } reported)
        {
            try
            {
                return await docker.Containers.InspectContainerAsync(reported.TrimStart('/'), cancellationToken).ConfigureAwait(false);
            }
            catch (DockerContainerNotFoundException)
            {
                // Renamed or recreated since it last reported: fall back to the labels.
            }
        }
        foreach (var label in new[] { $"{AgentLabel}={command.Agent}", $"{ComposeServiceLabel}={command.Agent}" })
        {
            var found = await docker.Containers.ListContainersAsync(new ContainersListParameters
            {
                All = true,
                Filters = new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [label] = true } },
            }, cancellationToken).ConfigureAwait(false);
            if (found.Count > 1)
            {
                throw new AmbiguousContainerException(
                    $"{found.Count} containers are labelled {label} ({string.Join(", ", found.Select(c => c.Names.FirstOrDefault()?.TrimStart('/') ?? c.ID))}); report the container in the heartbeat");
            }
            if (found.Count == 1)
            {
                return await docker.Containers.InspectContainerAsync(found[0].ID, cancellationToken).ConfigureAwait(false);
            }
        }
        return null;
    }

    private static bool IsOptedIn(ContainerInspectResponse container) =>
        container.Config?.Labels is { } labels && labels.TryGetValue(OptInLabel, out var value) && string.Equals(value, "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>What the container looked like before the restart: exit code, OOM kill, health, last log lines.</summary>
    private async Task<RestartReport> CaptureAsync(ContainerInspectResponse container, CancellationToken cancellationToken)
    {
        var state = container.State;
        var health = state.Health;
        var lastCheck = health?.Log?.OrderBy(l => l.End).LastOrDefault();
        string? logTail = null;
        try
        {
            logTail = await ReadLogTailAsync(container, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (IsDockerFailure(e, cancellationToken))
        {
            // The context is a help for people, not a condition of the restart.
            LogLogsUnavailable(e, container.Name);
        }
        return new RestartReport
        {
            ContainerId = container.ID,
            ContainerName = container.Name.TrimStart('/'),
            // A running container's exit code is a leftover 0, not a fact about this outage.
            ExitCode = state.Running ? null : (int)state.ExitCode,
            OomKilled = state.OOMKilled,
            HealthStatus = string.IsNullOrEmpty(health?.Status) || health.Status == "none" ? null : health.Status,
            HealthLog = lastCheck?.Output is { Length: > 0 } output ? Trim(output.Trim(), MaxHealthLogChars) : null,
            LogTail = logTail,
        };
    }

    private async Task<string?> ReadLogTailAsync(ContainerInspectResponse container, CancellationToken cancellationToken)
    {
        var lines = options.Value.LogTailLines;
        if (lines == 0)
        {
            return null;
        }
        using var stream = await docker.Containers.GetContainerLogsAsync(container.ID, container.Config?.Tty ?? false, new ContainerLogsParameters
        {
            ShowStdout = true,
            ShowStderr = true,
            Tail = lines.ToString(CultureInfo.InvariantCulture),
        }, cancellationToken).ConfigureAwait(false);
        var text = new StringBuilder();
        var buffer = new byte[8192];
        while (true)
        {
            var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
            if (read.EOF)
            {
                break;
            }
            text.Append(Encoding.UTF8.GetString(buffer, 0, read.Count));
            if (text.Length > 4 * MaxLogTailChars)
            {
                text.Remove(0, text.Length - 2 * MaxLogTailChars);
            }
        }
        var tail = string.Join('\n', text.ToString().Split('\n').Select(l => Trim(l.TrimEnd('\r'), MaxLineChars))).TrimEnd('\n');
        if (tail.Length > MaxLogTailChars)
        {
            tail = tail[^MaxLogTailChars..];
        }
        return tail.Length == 0 ? null : tail;
    }

    private static RestartReport Refused(HostCommand command, string reason, string error) => new()
    {
        Outcome = RestartOutcome.Failed,
        Reason = reason,
        Error = Trim(error, 2000),
        ContainerName = command.Container,
    };

    internal static DateTimeOffset? ParseDockerTime(string? value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) && parsed.Year > 1 ? parsed : null;

    private static string Trim(string value, int max) => value.Length <= max ? value : value[..max];

    private static bool IsDockerFailure(Exception e, CancellationToken cancellationToken) => e switch
    {
        DockerApiException or HttpRequestException or TimeoutException or IOException => true,
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        _ => false,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Restarted container {Container} of agent {Agent} (command {CommandId})")]
    private partial void LogRestarted(string container, string agent, string commandId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Container {Container} of agent {Agent} is not labelled serverless-monitor.restart=true; not restarting it")]
    private partial void LogNotOptedIn(string container, string agent);

    [LoggerMessage(Level = LogLevel.Information, Message = "Container {Container} of agent {Agent} exited cleanly and its policy says not to restart it")]
    private partial void LogSkippedCleanExit(string container, string agent);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Docker failed for agent {Agent} (command {CommandId})")]
    private partial void LogDockerFailed(Exception exception, string agent, string commandId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Command {CommandId} for agent {Agent} was already carried out by an earlier run; reporting it without restarting again")]
    private partial void LogResumed(string commandId, string agent);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Could not read the logs of container {Container}")]
    private partial void LogLogsUnavailable(Exception exception, string container);
}

public sealed class AmbiguousContainerException(string message) : Exception(message);
