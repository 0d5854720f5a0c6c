using Docker.DotNet;

namespace ServerlessMonitor.Tests.Docker;

/// <summary>
/// The Docker engine the Docker tests run against: the one <c>DOCKER_HOST</c> names (scripts/test.sh starts a private
/// dockerd and exports it). Missing or unreachable is a failure with a clear message, never a skip.
/// </summary>
internal static class DockerEngine
{
    public const string Variable = "DOCKER_HOST";

    public static Uri Endpoint =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? new Uri(value)
            : throw new InvalidOperationException(
                $"{Variable} is not set. The Docker tests need a Docker engine: run the suite with scripts/test.sh (it starts a private " +
                $"dockerd and exports {Variable}), or export {Variable}=unix:///path/to/docker.sock yourself.");

    public static async Task<DockerClient> ConnectAsync()
    {
        var endpoint = Endpoint;
        var client = new DockerClientConfiguration(endpoint, credentials: null, defaultTimeout: TimeSpan.FromSeconds(60)).CreateClient();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await client.System.PingAsync(timeout.Token);
            return client;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            client.Dispose();
            throw new InvalidOperationException($"The Docker engine at {Variable}={endpoint} does not answer ({e.GetType().Name}: {e.Message}). Is dockerd running?", e);
        }
    }
}
