using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace ServerlessMonitor.Agents;

/// <summary>Rules for the names of agents and Docker hosts; they become Table Storage keys, so the alphabet is closed.</summary>
public static partial class AgentName
{
    public const int MaxLength = 64;

    public static bool IsValid([NotNullWhen(true)] string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>Docker container ids and names: <c>[a-zA-Z0-9][a-zA-Z0-9_.-]*</c>, with an optional leading slash as the Engine API reports them.</summary>
    public static bool IsValidContainer([NotNullWhen(true)] string? container) => container is not null && ContainerPattern().IsMatch(container);

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex("^/?[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerPattern();
}
