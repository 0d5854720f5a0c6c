using Azure.Core;
using Azure.Core.Pipeline;

namespace ServerlessMonitor.Tests.Support;

/// <summary>Counts the requests a storage client sends: how the tests prove round-trip budgets.</summary>
public sealed class CountingPolicy : HttpPipelineSynchronousPolicy
{
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Reset() => Interlocked.Exchange(ref _count, 0);

    public override void OnSendingRequest(HttpMessage message) => Interlocked.Increment(ref _count);
}
