using Microsoft.Extensions.Time.Testing;
using ServerlessMonitor.Agents;
using ServerlessMonitor.Restarts;

namespace ServerlessMonitor.Tests.Restarts;

/// <summary>The recovery policy as pure decisions: budget, backoff and its reset, alert-only, failure reports, offline hosts.</summary>
public sealed class RestartPlannerTests
{
    private static readonly MonitorOptions Defaults = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 4, 2, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Defaults_are_three_restarts_in_ten_minutes_10_s_backoff_doubling_to_5_min_reset_after_10_min()
    {
        var policy = RecoveryPolicy.For(Down(), Defaults);
        Assert.Equal((3, 600, 10, 300, 600), (policy.MaxRestarts, policy.RestartWindowSeconds, policy.BackoffInitialSeconds, policy.BackoffMaxSeconds, policy.BackoffResetSeconds));
        Assert.Equal(RecoveryAction.Restart, policy.Action);
        Assert.True(policy.RestartOnFailureReport);
        Assert.True(policy.RestartOnCleanExit);
    }

    [Fact]
    public void First_restart_of_an_outage_is_immediate()
    {
        var decision = RestartPlanner.Decide(Down(), Policy(), Online(), _time.GetUtcNow());
        Assert.Equal(RestartVerdict.Restart, decision.Verdict);
    }

    [Fact]
    public void Backoff_doubles_from_the_initial_pause_and_is_capped()
    {
        var policy = Policy();
        Assert.Equal([0, 10, 20, 40, 80, 160, 300, 300], Enumerable.Range(0, 8).Select(n => RestartPlanner.Backoff(policy, n).TotalSeconds));
    }

    [Fact]
    public void Budget_allows_three_restarts_in_the_window_then_suppresses_until_the_window_moves_on()
    {
        var agent = Down();
        var policy = Policy();
        for (var restart = 1; restart <= 3; restart++)
        {
            var decision = RestartPlanner.Decide(agent, policy, Online(), _time.GetUtcNow());
            Assert.Equal(RestartVerdict.Restart, decision.Verdict);
            agent = agent with { Restart = RestartPlanner.Requested(agent, policy, decision, $"cmd-{restart}", _time.GetUtcNow().AddMinutes(2), _time.GetUtcNow()) };
            _time.Advance(TimeSpan.FromMinutes(1)); // longer than any backoff so far
        }

        var fourth = RestartPlanner.Decide(agent, policy, Online(), _time.GetUtcNow());
        Assert.Equal(RestartVerdict.Suppress, fourth.Verdict);
        Assert.Equal(RestartPlanner.ReasonBudgetExhausted, fourth.Reason);
        Assert.Equal(3, fourth.RestartsInWindow);

        // Ten minutes after the first restart, it no longer counts.
        _time.Advance(TimeSpan.FromMinutes(7) + TimeSpan.FromSeconds(1));
        Assert.Equal(2, RestartPlanner.RestartsInWindow(agent.Restart, policy, _time.GetUtcNow()));
        Assert.NotEqual(RestartVerdict.Suppress, RestartPlanner.Decide(agent, policy, Online(), _time.GetUtcNow()).Verdict);
    }

    [Fact]
    public void Second_restart_in_a_row_waits_for_the_backoff()
    {
        var policy = Policy();
        var agent = Restarted(Down(), policy, waitForBackoff: false);
        _time.Advance(TimeSpan.FromSeconds(4));

        var decision = RestartPlanner.Decide(agent, policy, Online(), _time.GetUtcNow());
        Assert.Equal(RestartVerdict.Wait, decision.Verdict);
        Assert.Equal(agent.Restart.LastRestartAt!.Value.AddSeconds(10), decision.NotBefore);

        _time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(RestartVerdict.Restart, RestartPlanner.Decide(agent, policy, Online(), _time.GetUtcNow()).Verdict);
    }

    [Fact]
    public void Backoff_resets_after_ten_minutes_healthy()
    {
        var policy = Policy();
        var agent = Restarted(Restarted(Down(), policy), policy);
        Assert.Equal(2, agent.Restart.Consecutive);

        // Back after the restart, then healthy for 9 minutes: the next outage still backs off (20 s).
        _time.Advance(TimeSpan.FromSeconds(5));
        var recoveredAt = _time.GetUtcNow();
        agent = agent with { Restart = agent.Restart with { LastRecoveredAt = recoveredAt }, DownSince = recoveredAt.AddMinutes(9) };
        _time.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(2, RestartPlanner.ConsecutiveAfterReset(agent, policy, _time.GetUtcNow()));

        // Healthy for 10 minutes: the slate is clean and the restart is immediate again.
        agent = agent with { DownSince = recoveredAt.AddMinutes(10) };
        Assert.Equal(0, RestartPlanner.ConsecutiveAfterReset(agent, policy, _time.GetUtcNow()));
        Assert.Equal(RestartVerdict.Restart, RestartPlanner.Decide(agent, policy, Online(), _time.GetUtcNow()).Verdict);
    }

    [Fact]
    public void Alert_only_agent_is_never_restarted()
    {
        var agent = Down() with { RecoveryAction = RecoveryAction.AlertOnly };
        Assert.Equal(RestartVerdict.AlertOnly, RestartPlanner.Decide(agent, RecoveryPolicy.For(agent, Defaults), Online(), _time.GetUtcNow()).Verdict);
    }

    [Fact]
    public void Reported_failure_is_not_restarted_when_the_policy_says_so()
    {
        var agent = Down() with { IncidentReason = IncidentReason.Failed, Policy = new RecoveryPolicyOverrides { RestartOnFailureReport = false } };
        var decision = RestartPlanner.Decide(agent, RecoveryPolicy.For(agent, Defaults), Online(), _time.GetUtcNow());
        Assert.Equal((RestartVerdict.Suppress, RestartPlanner.ReasonFailureReported), (decision.Verdict, decision.Reason));

        var timedOut = agent with { IncidentReason = IncidentReason.TimedOut };
        Assert.Equal(RestartVerdict.Restart, RestartPlanner.Decide(timedOut, RecoveryPolicy.For(timedOut, Defaults), Online(), _time.GetUtcNow()).Verdict);
    }

    [Fact]
    public void Offline_host_suppresses_the_restart_under_a_host_incident()
    {
        var lastPoll = _time.GetUtcNow().AddMinutes(-5);
        var host = new HostLiveness("docker-1", lastPoll, Online: false);
        var decision = RestartPlanner.Decide(Down(), Policy(), host, _time.GetUtcNow());
        Assert.Equal((RestartVerdict.Suppress, RestartPlanner.ReasonHostOffline), (decision.Verdict, decision.Reason));
        Assert.Equal("docker-1@20261204T015500000Z", host.IncidentId);
    }

    [Fact]
    public void Overrides_replace_only_the_fields_they_set()
    {
        var agent = Down() with { Policy = new RecoveryPolicyOverrides { MaxRestarts = 1, StartupGraceSeconds = 30 } };
        var policy = RecoveryPolicy.For(agent, Defaults);
        Assert.Equal((1, 30, 600, 10), (policy.MaxRestarts, policy.StartupGraceSeconds, policy.RestartWindowSeconds, policy.BackoffInitialSeconds));
    }

    private RecoveryPolicy Policy() => RecoveryPolicy.For(Down(), Defaults);

    private HostLiveness Online() => new("docker-1", _time.GetUtcNow(), Online: true);

    private AgentRecord Down() => new()
    {
        Name = "planner-agent",
        Status = AgentStatus.Down,
        Host = "docker-1",
        RegisteredAt = _time.GetUtcNow().AddHours(-1),
        LastHeartbeatAt = _time.GetUtcNow().AddMinutes(-2),
        TimeoutSeconds = 120,
        IncidentId = "planner-agent@1",
        IncidentReason = IncidentReason.TimedOut,
        DownSince = _time.GetUtcNow().AddMinutes(-2),
    };

    private AgentRecord Restarted(AgentRecord agent, RecoveryPolicy policy, bool waitForBackoff = true)
    {
        var decision = RestartPlanner.Decide(agent, policy, Online(), _time.GetUtcNow());
        Assert.Equal(RestartVerdict.Restart, decision.Verdict);
        var restarted = agent with { Restart = RestartPlanner.Requested(agent, policy, decision, "cmd", _time.GetUtcNow().AddMinutes(2), _time.GetUtcNow()) };
        if (waitForBackoff)
        {
            _time.Advance(RestartPlanner.Backoff(policy, restarted.Restart.Consecutive));
        }
        return restarted;
    }
}
