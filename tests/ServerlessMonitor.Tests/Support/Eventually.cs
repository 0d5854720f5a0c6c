namespace ServerlessMonitor.Tests.Support;

/// <summary>Polls until a condition holds or a deadline passes: end-to-end tests wait for outcomes, never for fixed times.</summary>
public static class Eventually
{
    public static async Task<T> GetAsync<T>(Func<Task<T?>> probe, TimeSpan within, string what)
    {
        var deadline = DateTimeOffset.UtcNow + within;
        while (true)
        {
            var value = await probe();
            if (value is not null)
            {
                return value;
            }
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {within.TotalSeconds:0.#} s for {what}.");
            }
            await Task.Delay(50);
        }
    }

    public static Task TrueAsync(Func<Task<bool>> probe, TimeSpan within, string what) =>
        GetAsync<object>(async () => await probe() ? new object() : null, within, what);

    public static Task TrueAsync(Func<bool> probe, TimeSpan within, string what) =>
        TrueAsync(() => Task.FromResult(probe()), within, what);
}
