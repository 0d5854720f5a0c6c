using System.Formats.Tar;
using System.Text;
using Docker.DotNet;
using Docker.DotNet.Models;

namespace ServerlessMonitor.Tests.Docker;

/// <summary>
/// The image of the test agents, made without a registry: a tarball of a static busybox (sh, wget, sleep, cat) and
/// <see cref="Script"/>, imported with the Engine API's image create (<c>docker import</c>). The script heartbeats
/// with wget to the monitor (the container runs with <c>--network host</c>) and, in its first life, misbehaves as
/// <c>BEHAVIOUR</c> says; later lives heartbeat steadily (or, for <c>crashloop</c>, die at once).
/// </summary>
internal static class TestAgentImage
{
    public const string Script = """
        #!/bin/sh
        # Test agent. Env: MONITOR_URL API_KEY AGENT HOST_ID CONTAINER TIMEOUT BEATS BEHAVIOUR (crash|hang|crashloop|exit0) IGNORE_TERM
        boot=1
        if [ -f /boots ]; then read boot < /boots; boot=$((boot + 1)); fi
        echo "$boot" > /boots
        echo "boot $boot of $AGENT ($BEHAVIOUR)"
        # PID 1 ignores SIGTERM unless it handles it; IGNORE_TERM keeps it that way, so a stop waits for the kill.
        if [ "$IGNORE_TERM" != 1 ]; then trap 'echo "boot $boot: stopping on SIGTERM"; exit 143' TERM; fi
        if [ "$boot" -gt 1 ] && [ "$BEHAVIOUR" = crashloop ]; then
          echo "fatal: boot $boot cannot start (configuration error)"
          exit 1
        fi
        # (no wget -T: the static busybox 1.35 wget crashes with it)
        beat() {
          wget -q -O /dev/null --header "x-functions-key: $API_KEY" --header "Content-Type: application/json" \
            --post-data "{\"agent\":\"$AGENT\",\"host\":\"$HOST_ID\",\"container\":\"$CONTAINER\",\"intervalSeconds\":1,\"timeoutSeconds\":$TIMEOUT,\"message\":\"boot $boot beat $1\"}" \
            "$MONITOR_URL/api/heartbeat" || echo "boot $boot: heartbeat $1 failed"
        }
        pause() { sleep "$1" & wait $!; }
        n=0
        while :; do
          n=$((n + 1))
          beat "$n"
          if [ "$boot" -eq 1 ] && [ "$n" -ge "$BEATS" ]; then
            case "$BEHAVIOUR" in
              crash|crashloop) echo "boot $boot: crashing after $n heartbeats"; exit 3 ;;
              hang) echo "boot $boot: hanging after $n heartbeats"; while :; do pause 3600; done ;;
              exit0) echo "boot $boot: work done, exiting 0"; exit 0 ;;
            esac
          fi
          pause 1
        done
        """;

    private static readonly string[] Applets = ["sh", "wget", "sleep", "cat"];

    /// <summary>Imports the image as <paramref name="reference"/> (<c>repo:tag</c>).</summary>
    public static async Task BuildAsync(DockerClient docker, string reference)
    {
        using var tarball = new MemoryStream();
        await using (var tar = new TarWriter(tarball, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var directory in new[] { "bin/", "etc/", "tmp/" })
            {
                await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, directory) { Mode = (UnixFileMode)0b111_101_101 });
            }
            var busybox = new PaxTarEntry(TarEntryType.RegularFile, "bin/busybox")
            {
                Mode = (UnixFileMode)0b111_101_101,
                DataStream = new MemoryStream(await File.ReadAllBytesAsync(StaticBusybox())),
            };
            await tar.WriteEntryAsync(busybox);
            foreach (var applet in Applets)
            {
                await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "bin/" + applet) { LinkName = "busybox" });
            }
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "agent.sh")
            {
                Mode = (UnixFileMode)0b111_101_101,
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(Script.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n")),
            });
        }
        tarball.Position = 0;

        var (repo, tag) = Split(reference);
        var errors = new List<string>();
        await docker.Images.CreateImageAsync(new ImagesCreateParameters { FromSrc = "-", Repo = repo, Tag = tag }, tarball, authConfig: null,
            new SynchronousProgress(m => { if (!string.IsNullOrEmpty(m.ErrorMessage)) { errors.Add(m.ErrorMessage); } }));
        if (errors.Count > 0)
        {
            throw new InvalidOperationException($"Importing the test agent image failed: {string.Join("; ", errors)}");
        }
    }

    /// <summary>A statically linked busybox (Debian: busybox-static), since the image has no C library.</summary>
    private static string StaticBusybox()
    {
        foreach (var candidate in new[] { "/bin/busybox", "/usr/bin/busybox" })
        {
            if (File.Exists(candidate) && !HasInterpreter(File.ReadAllBytes(candidate)))
            {
                return candidate;
            }
        }
        throw new InvalidOperationException("The Docker tests need a statically linked busybox at /bin/busybox: apt-get install -y busybox-static (scripts/test.sh does).");
    }

    /// <summary>Whether a 64-bit ELF executable names a dynamic loader (a PT_INTERP program header), i.e. is not static.</summary>
    private static bool HasInterpreter(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7F || elf[1] != (byte)'E' || elf[4] != 2)
        {
            return true; // not a 64-bit ELF: not usable either
        }
        var programHeaders = (int)BitConverter.ToUInt64(elf, 0x20);
        var entrySize = BitConverter.ToUInt16(elf, 0x36);
        var count = BitConverter.ToUInt16(elf, 0x38);
        const uint Interpreter = 3;
        return Enumerable.Range(0, count).Any(i => BitConverter.ToUInt32(elf, programHeaders + (i * entrySize)) == Interpreter);
    }

    private static (string Repo, string Tag) Split(string reference)
    {
        var colon = reference.LastIndexOf(':');
        return (reference[..colon], reference[(colon + 1)..]);
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool and lose the race with the check).</summary>
    private sealed class SynchronousProgress(Action<JSONMessage> report) : IProgress<JSONMessage>
    {
        public void Report(JSONMessage value) => report(value);
    }
}
