namespace ServerlessMonitor.Alerts;

/// <summary>
/// When to try a failed delivery again: growing pauses (by default 5 s, 30 s, 2 min, 10 min, 30 min, then hourly),
/// never sooner than the endpoint's <c>Retry-After</c>, and not at all once <see cref="GiveUpAfter"/> has passed since the
/// first attempt: then the delivery is dead.
/// </summary>
public sealed class RetrySchedule(IReadOnlyList<TimeSpan> delays, TimeSpan giveUpAfter)
{
    public static RetrySchedule From(AlertOptions options) => new(options.EffectiveRetryDelays, options.GiveUpAfter);

    public TimeSpan GiveUpAfter => giveUpAfter;

    /// <summary>The pause after the <paramref name="attemptsMade"/>-th failed attempt (1 = the first attempt failed).</summary>
    public TimeSpan DelayAfter(int attemptsMade) => delays[Math.Clamp(attemptsMade - 1, 0, delays.Count - 1)];

    /// <summary>When to attempt next, or null when the delivery should be given up.</summary>
    public DateTimeOffset? NextAttempt(DateTimeOffset firstAttemptAt, int attemptsMade, DateTimeOffset now, TimeSpan? retryAfter)
    {
        var delay = DelayAfter(attemptsMade);
        if (retryAfter is { } wait && wait > delay)
        {
            delay = wait;
        }
        var next = now + delay;
        return next > firstAttemptAt + giveUpAfter ? null : next;
    }
}
