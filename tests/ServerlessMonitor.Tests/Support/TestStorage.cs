using System.Security.Cryptography;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;
using ServerlessMonitor.Storage;

namespace ServerlessMonitor.Tests.Support;

/// <summary>
/// The Azurite instance the test command starts. Every test class takes its own table/queue prefix, so classes run
/// in parallel against one Azurite without seeing each other's data.
/// </summary>
public static class TestStorage
{
    public const string ConnectionVariable = "SERVERLESSMONITOR_TEST_STORAGE";

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable(ConnectionVariable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{ConnectionVariable} is not set. Run the suite with scripts/test.sh, which starts Azurite and sets it.");

    /// <summary>A fresh prefix: a letter and 11 lowercase letters or digits.</summary>
    public static string NewPrefix()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return "t" + RandomNumberGenerator.GetString(alphabet, 11);
    }

    /// <summary>The monitor's tables under a fresh prefix, created.</summary>
    public static async Task<MonitorTables> CreateTablesAsync(string? prefix = null)
    {
        var tables = new MonitorTables(new TableServiceClient(ConnectionString), Options.Create(new StorageOptions { TablePrefix = prefix ?? NewPrefix() }));
        await tables.CreateAllAsync(CancellationToken.None);
        return tables;
    }
}
