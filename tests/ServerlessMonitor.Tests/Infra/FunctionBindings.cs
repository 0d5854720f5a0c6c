using System.Reflection;
using System.Text.RegularExpressions;

namespace ServerlessMonitor.Tests.Infra;

/// <summary>One binding attribute (trigger, input or output) on a function of the Functions app.</summary>
internal sealed record FunctionBinding(string Function, Attribute Attribute)
{
    public string Kind => Attribute.GetType().Name;

    /// <summary>A string property of the attribute, e.g. Schedule, TopicName, Connection.</summary>
    public string? Property(string name) => Attribute.GetType().GetProperty(name)?.GetValue(Attribute) as string;

    public bool HasConnectionProperty => Attribute.GetType().GetProperty("Connection") is not null;

    public override string ToString() => $"{Kind} on {Function}";
}

/// <summary>
/// Reads the Functions app's bindings by reflection, the way the worker indexes them at start-up, so the
/// template can be checked against what the host will actually resolve.
/// </summary>
internal static partial class FunctionBindings
{
    public static Assembly FunctionsAssembly { get; } = Assembly.Load(new AssemblyName("ServerlessMonitor.Functions"));

    public static IReadOnlyList<FunctionBinding> All { get; } = [.. Discover()];

    /// <summary>The %Name% binding expressions in the attribute's string properties, as app setting names.</summary>
    public static IEnumerable<string> SettingReferences(FunctionBinding binding) =>
        binding.Attribute.GetType().GetProperties()
            .Where(property => property.PropertyType == typeof(string) && property.GetIndexParameters().Length == 0)
            .Select(property => property.GetValue(binding.Attribute) as string)
            .Where(value => value is not null)
            .SelectMany(value => BindingExpression().Matches(value!))
            // %Section:Key% reads the app setting Section__Key.
            .Select(match => match.Groups["setting"].Value.Replace(":", "__", StringComparison.Ordinal));

    private static IEnumerable<FunctionBinding> Discover()
    {
        var methods = FunctionsAssembly.GetTypes()
            .SelectMany(type => type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly));
        foreach (var method in methods)
        {
            var function = method.GetCustomAttributes().FirstOrDefault(attribute => attribute.GetType().FullName == "Microsoft.Azure.Functions.Worker.FunctionAttribute");
            if (function is null)
            {
                continue;
            }

            var functionName = (string?)function.GetType().GetProperty("Name")?.GetValue(function) ?? method.Name;
            var attributes = method.GetParameters().SelectMany(parameter => parameter.GetCustomAttributes())
                .Concat(method.ReturnParameter.GetCustomAttributes())
                .Concat(method.GetCustomAttributes());
            foreach (var attribute in attributes.Where(IsBinding))
            {
                yield return new FunctionBinding(functionName, attribute);
            }
        }
    }

    private static bool IsBinding(Attribute attribute)
    {
        for (var type = attribute.GetType().BaseType; type is not null; type = type.BaseType)
        {
            if (type.FullName == "Microsoft.Azure.Functions.Worker.Extensions.Abstractions.BindingAttribute")
            {
                return true;
            }
        }

        return false;
    }

    [GeneratedRegex("%(?<setting>[^%]+)%")]
    private static partial Regex BindingExpression();
}
