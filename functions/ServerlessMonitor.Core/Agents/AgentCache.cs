using Microsoft.Extensions.Caching.Memory;

namespace ServerlessMonitor.Agents;

/// <summary>
/// The last record (with its ETag) this process wrote or read for each agent. It lets a steady heartbeat be a single
/// ETag-guarded write; when anything else changed the row meanwhile, the write fails with 412 and the caller re-reads,
/// so a stale entry costs one extra round trip, never a wrong decision.
/// </summary>
public sealed class AgentCache : IDisposable
{
    private const int Capacity = 200_000;
    private static readonly TimeSpan IdleExpiry = TimeSpan.FromMinutes(30);
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = Capacity });

    public AgentRecord? Get(string name) => _cache.Get<AgentRecord>(name);

    public void Set(AgentRecord record) =>
        _cache.Set(record.Name, record, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = IdleExpiry });

    public void Forget(string name) => _cache.Remove(name);

    public void Dispose() => _cache.Dispose();
}
