using System.Diagnostics;
using System.Reflection;

namespace ServerlessMonitor.Tests.Infra;

/// <summary>
/// Runs the Bicep CLI that the test project downloads from NuGet (Azure.Bicep.CommandLine.linux-x64), so the
/// infrastructure is compiled and linted offline, exactly as `azd up` would compile it before deploying.
/// </summary>
internal static class Bicep
{
    public sealed record Result(int ExitCode, string StandardOutput, string StandardError);

    private static readonly Lazy<Result> MainBuild = new(() => Run("build", MainTemplatePath, "--stdout"));
    private static readonly Lazy<Result> MainLint = new(() => Run("lint", MainTemplatePath));

    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string MainTemplatePath => Path.Combine(RepositoryRoot, "infra", "main.bicep");

    /// <summary>`bicep build infra/main.bicep --stdout`, run once per test run.</summary>
    public static Result BuildMain() => MainBuild.Value;

    /// <summary>`bicep lint infra/main.bicep`, run once per test run.</summary>
    public static Result LintMain() => MainLint.Value;

    private static Result Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(ExecutablePath())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)
            ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
        var standardOutput = process.StandardOutput.ReadToEndAsync();
        var standardError = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"bicep {string.Join(' ', arguments)} did not finish within 3 minutes.");
        }

        return new Result(process.ExitCode, standardOutput.Result, standardError.Result);
    }

    private static string ExecutablePath()
    {
        var path = typeof(Bicep).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(attribute => attribute.Key == "BicepPath")?.Value;
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            Assert.Fail(
                $"The Bicep CLI was not found (BicepPath = '{path}'). The test project downloads it with " +
                "<PackageDownload Include=\"Azure.Bicep.CommandLine.linux-x64\" /> and records its path in an " +
                "AssemblyMetadata(\"BicepPath\") attribute; restore the test project (dotnet restore) and rerun.");
        }

        // NuGet extracts package files without the execute bit.
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if (!mode.HasFlag(UnixFileMode.UserExecute))
            {
                File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }
        }

        return path;
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (Directory.Exists(Path.Combine(directory.FullName, "infra")) && Directory.Exists(Path.Combine(directory.FullName, "functions")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No directory above {AppContext.BaseDirectory} holds infra/ and functions/.");
    }
}
