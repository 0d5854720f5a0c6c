using ServerlessMonitor.Agents;

namespace ServerlessMonitor.Restarts;

public enum RestartVerdict
{
    /// <summary>Restart now.</summary>
    Restart,
    /// <summary>Restart at <see cref="RestartDecision.NotBefore"/>, when the backoff is over.</summary>
    Wait,
    /// <summary>Don't restart; say why (<c>restart.suppressed</c>).</summary>
    Suppress,
    /// <summary>Don't restart and say nothing beyond the outage alert (the agent is alert-only).</summary>
    AlertOnly,
}

public sealed record RestartDecision(RestartVerdict Verdict, string? Reason = null, DateTimeOffset? NotBefore = null, int RestartsInWindow = 0, int Consecutive = 0);

/// <summary>What the monitor knows about a Docker host's restart agent.</summary>
public sealed record HostLiveness(string Host, DateTimeOffset? LastSeenAt, bool Online)
{
    /// <summary>All outages on a host while it is offline belong to one host incident, named after its last poll.</summary>
    public string IncidentId => Host + "@" + (LastSeenAt is { } seen ? seen.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff'Z'", System.Globalization.CultureInfo.InvariantCulture) : "never");
}

/// <summary>
/// The recovery policy as pure functions of (agent, policy, host, now): whether to restart an agent that is down,
/// now or after a backoff, or to stop and alert. Storage and events are <see cref="RestartLoop"/>'s business.
/// </summary>
public static class RestartPlanner
{
    public const string ReasonAlertOnly = "alert-only";
    public const string ReasonFailureReported = "failure reported";
    public const string ReasonHostOffline = "host offline";
    public const string ReasonBudgetExhausted = "restart budget exhausted";
    public const string ReasonNoHost = "no host";

    public static RestartDecision Decide(AgentRecord agent, RecoveryPolicy policy, HostLiveness? host, DateTimeOffset now)
    {
        var state = agent.Restart;
        var inWindow = RestartsInWindow(state, policy, now);
        if (policy.Action == RecoveryAction.AlertOnly)
        {
            return new RestartDecision(RestartVerdict.AlertOnly, ReasonAlertOnly, RestartsInWindow: inWindow);
        }
        if (agent.IncidentReason == IncidentReason.Failed && !policy.RestartOnFailureReport)
        {
            return new RestartDecision(RestartVerdict.Suppress, ReasonFailureReported, RestartsInWindow: inWindow);
        }
        if (host is null)
        {
            return new RestartDecision(RestartVerdict.Suppress, ReasonNoHost, RestartsInWindow: inWindow);
        }
        if (!host.Online)
        {
            return new RestartDecision(RestartVerdict.Suppress, ReasonHostOffline, RestartsInWindow: inWindow);
        }
        if (inWindow >= policy.MaxRestarts)
        {
            return new RestartDecision(RestartVerdict.Suppress, ReasonBudgetExhausted, RestartsInWindow: inWindow);
        }

        var consecutive = ConsecutiveAfterReset(agent, policy, now);
        if (consecutive == 0 || state.LastRestartAt is not { } last)
        {
            return new RestartDecision(RestartVerdict.Restart, RestartsInWindow: inWindow, Consecutive: consecutive);
        }
        var notBefore = last + Backoff(policy, consecutive);
        return notBefore <= now
            ? new RestartDecision(RestartVerdict.Restart, RestartsInWindow: inWindow, Consecutive: consecutive)
            : new RestartDecision(RestartVerdict.Wait, NotBefore: notBefore, RestartsInWindow: inWindow, Consecutive: consecutive);
    }

    /// <summary>The pause after <paramref name="consecutive"/> restarts in a row: initial, doubling, capped.</summary>
    public static TimeSpan Backoff(RecoveryPolicy policy, int consecutive)
    {
        if (consecutive <= 0)
        {
            return TimeSpan.Zero;
        }
        var seconds = policy.BackoffInitialSeconds * Math.Pow(2, Math.Min(consecutive - 1, 30));
        return TimeSpan.FromSeconds(Math.Min(seconds, policy.BackoffMaxSeconds));
    }

    /// <summary>Restarts requested within the policy's window before <paramref name="now"/>.</summary>
    public static int RestartsInWindow(RestartState state, RecoveryPolicy policy, DateTimeOffset now) =>
        state.History.Count(t => t > now.AddSeconds(-policy.RestartWindowSeconds));

    /// <summary>The backoff exponent, back to zero once the agent stayed healthy for the reset time since it last recovered.</summary>
    public static int ConsecutiveAfterReset(AgentRecord agent, RecoveryPolicy policy, DateTimeOffset now)
    {
        var state = agent.Restart;
        if (state.Consecutive == 0)
        {
            return 0;
        }
        if (state.LastRecoveredAt is { } recovered && recovered >= (state.LastRestartAt ?? DateTimeOffset.MinValue))
        {
            var healthyUntil = agent.Status == AgentStatus.Down ? agent.DownSince ?? now : now;
            if (healthyUntil - recovered >= TimeSpan.FromSeconds(policy.BackoffResetSeconds))
            {
                return 0;
            }
        }
        return state.Consecutive;
    }

    /// <summary>The state after a restart was requested for the agent's open incident under <paramref name="commandId"/>.</summary>
    public static RestartState Requested(AgentRecord agent, RecoveryPolicy policy, RestartDecision decision, string commandId, DateTimeOffset checkAt, DateTimeOffset now)
    {
        var state = agent.Restart;
        var sameIncident = state.Answers(agent.IncidentId);
        return state with
        {
            Phase = RestartPhase.Requested,
            IncidentId = agent.IncidentId,
            CommandId = commandId,
            Attempt = (sameIncident ? state.Attempt : 0) + 1,
            CheckAt = checkAt,
            DownSince = agent.DownSince ?? agent.LastSeenAt,
            RestartedAt = null,
            RecoveredAt = null,
            History = [.. state.History.Where(t => t > now.AddSeconds(-policy.RestartWindowSeconds)), now],
            Consecutive = decision.Consecutive + 1,
            LastRestartAt = now,
        };
    }

    /// <summary>The attempt number the next restart of the agent's open incident gets.</summary>
    public static int NextAttempt(AgentRecord agent) => (agent.Restart.Answers(agent.IncidentId) ? agent.Restart.Attempt : 0) + 1;
}
