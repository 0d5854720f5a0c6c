using System.ComponentModel.DataAnnotations;

namespace ServerlessMonitor.Storage;

/// <summary>
/// Where the monitor keeps its state. Bound from the configuration section <c>MonitorStorage</c>, which follows the
/// Azure Functions connection convention: either the section's own value is a connection string
/// (<c>MonitorStorage=UseDevelopmentStorage=true</c>), or it holds identity-based endpoints
/// (<c>MonitorStorage__tableServiceUri</c>, <c>MonitorStorage__queueServiceUri</c>, <c>MonitorStorage__clientId</c>).
/// </summary>
public sealed class StorageOptions : IValidatableObject
{
    public const string SectionName = "MonitorStorage";

    public string? ConnectionString { get; set; }

    public Uri? TableServiceUri { get; set; }

    public Uri? QueueServiceUri { get; set; }

    /// <summary>Client id of a user-assigned managed identity; empty means DefaultAzureCredential.</summary>
    public string? ClientId { get; set; }

    /// <summary>Prepended to every table and queue name, so several monitors (or test runs) can share an account.</summary>
    [RegularExpression("^([a-z][a-z0-9]{0,19})?$", ErrorMessage = "MonitorStorage:TablePrefix must be empty or up to 20 lowercase letters and digits, starting with a letter.")]
    public string TablePrefix { get; set; } = "";

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (string.IsNullOrWhiteSpace(ConnectionString) && TableServiceUri is null)
        {
            yield return new ValidationResult(
                "Storage is not configured: set MonitorStorage to a connection string (e.g. UseDevelopmentStorage=true for Azurite), " +
                "or MonitorStorage__tableServiceUri (plus MonitorStorage__queueServiceUri for the standalone host) for a managed identity.",
                [nameof(ConnectionString)]);
        }
    }
}

/// <summary>The tables the monitor uses (before <see cref="StorageOptions.TablePrefix"/>). Provisioning creates the same set.</summary>
public static class TableNames
{
    public const string Agents = "agents";
    public const string Deadlines = "deadlines";
    public const string Incidents = "incidents";
    public const string Commands = "commands";
    public const string Deliveries = "deliveries";
    public const string Hosts = "hosts";
    public const string Sweeper = "sweeper";

    public static IReadOnlyList<string> All { get; } = [Agents, Deadlines, Incidents, Commands, Deliveries, Hosts, Sweeper];
}
