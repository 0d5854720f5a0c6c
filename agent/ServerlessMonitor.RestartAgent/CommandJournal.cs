using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;

namespace ServerlessMonitor.RestartAgent;

[JsonConverter(typeof(JsonStringEnumConverter<JournalState>))]
public enum JournalState
{
    /// <summary>About to restart (written before the Docker call): a crash now leaves the outcome to be found out from the container.</summary>
    Started,
    /// <summary>Carried out; the result may not have reached the monitor yet.</summary>
    Done,
    /// <summary>The monitor has the result.</summary>
    Reported,
}

public sealed record JournalEntry
{
    public required string CommandId { get; init; }
    public JournalState State { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public string? ContainerId { get; init; }
    /// <summary>While <see cref="JournalState.Started"/>: the failure context captured before the restart; afterwards the result.</summary>
    public RestartReport? Report { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>
/// The commands this host's agent executed, kept in a small JSON file (written to a temporary file, then renamed, so
/// it is never half-written). A command offered again (its lease ran out because an agent died before reporting) is
/// looked up here first, so a restart happens at most once per command even across agent restarts.
/// </summary>
public sealed class CommandJournal(IOptions<RestartAgentOptions> options, TimeProvider time) : IDisposable
{
    private const int MaxEntries = 500;
    private static readonly TimeSpan KeepFor = TimeSpan.FromDays(7);

    private readonly SemaphoreSlim _lock = new(1, 1);
    private Dictionary<string, JournalEntry>? _entries;

    public sealed record JournalFile(JournalEntry[] Entries);

    public string Path => options.Value.StateFile;

    public async Task<JournalEntry?> GetAsync(string commandId, CancellationToken cancellationToken)
    {
        var entries = await LoadAsync(cancellationToken).ConfigureAwait(false);
        lock (entries)
        {
            return entries.GetValueOrDefault(commandId);
        }
    }

    public async Task<IReadOnlyList<JournalEntry>> UnreportedAsync(CancellationToken cancellationToken)
    {
        var entries = await LoadAsync(cancellationToken).ConfigureAwait(false);
        lock (entries)
        {
            return [.. entries.Values.Where(e => e.State == JournalState.Done)];
        }
    }

    public Task MarkStartedAsync(string commandId, string containerId, RestartReport context, CancellationToken cancellationToken) =>
        SaveAsync(new JournalEntry { CommandId = commandId, State = JournalState.Started, StartedAt = time.GetUtcNow(), ContainerId = containerId, Report = context }, cancellationToken);

    public async Task MarkDoneAsync(string commandId, RestartReport report, CancellationToken cancellationToken)
    {
        var existing = await GetAsync(commandId, cancellationToken).ConfigureAwait(false);
        await SaveAsync(new JournalEntry
        {
            CommandId = commandId,
            State = JournalState.Done,
            StartedAt = existing?.StartedAt ?? time.GetUtcNow(),
            ContainerId = report.ContainerId ?? existing?.ContainerId,
            Report = report,
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task MarkReportedAsync(string commandId, CancellationToken cancellationToken)
    {
        if (await GetAsync(commandId, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            await SaveAsync(existing with { State = JournalState.Reported }, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Makes sure the state file can be written, so a misconfigured path stops the agent at start-up.</summary>
    public async Task EnsureWritableAsync(CancellationToken cancellationToken)
    {
        var entries = await LoadAsync(cancellationToken).ConfigureAwait(false);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await WriteAsync(entries, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task SaveAsync(JournalEntry entry, CancellationToken cancellationToken)
    {
        var entries = await LoadAsync(cancellationToken).ConfigureAwait(false);
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (entries)
            {
                entries[entry.CommandId] = entry with { UpdatedAt = time.GetUtcNow() };
                Trim(entries, time.GetUtcNow());
            }
            await WriteAsync(entries, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task<Dictionary<string, JournalEntry>> LoadAsync(CancellationToken cancellationToken)
    {
        if (_entries is { } loaded)
        {
            return loaded;
        }
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_entries is null)
            {
                var entries = new Dictionary<string, JournalEntry>(StringComparer.Ordinal);
                if (File.Exists(Path))
                {
                    await using var stream = File.OpenRead(Path);
                    var file = await JsonSerializer.DeserializeAsync(stream, AgentJsonContext.Default.JournalFile, cancellationToken).ConfigureAwait(false);
                    foreach (var entry in file?.Entries ?? [])
                    {
                        entries[entry.CommandId] = entry;
                    }
                }
                _entries = entries;
            }
            return _entries;
        }
        finally
        {
            _lock.Release();
        }
    }

    private async Task WriteAsync(Dictionary<string, JournalEntry> entries, CancellationToken cancellationToken)
    {
        JournalFile snapshot;
        lock (entries)
        {
            snapshot = new JournalFile([.. entries.Values.OrderBy(e => e.UpdatedAt)]);
        }
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
        Directory.CreateDirectory(directory);
        var temporary = Path + ".tmp";
        await using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            await JsonSerializer.SerializeAsync(stream, snapshot, AgentJsonContext.Default.JournalFile, cancellationToken).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, Path, overwrite: true);
    }

    public void Dispose() => _lock.Dispose();

    private static void Trim(Dictionary<string, JournalEntry> entries, DateTimeOffset now)
    {
        foreach (var old in entries.Values.Where(e => e.State == JournalState.Reported && now - e.UpdatedAt > KeepFor).ToList())
        {
            entries.Remove(old.CommandId);
        }
        if (entries.Count > MaxEntries)
        {
            foreach (var oldest in entries.Values.Where(e => e.State == JournalState.Reported).OrderBy(e => e.UpdatedAt).Take(entries.Count - MaxEntries).ToList())
            {
                entries.Remove(oldest.CommandId);
            }
        }
    }
}
