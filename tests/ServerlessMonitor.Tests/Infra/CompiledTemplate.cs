using System.Text.Json;
using System.Text.RegularExpressions;

namespace ServerlessMonitor.Tests.Infra;

/// <summary>
/// The ARM JSON that `bicep build infra/main.bicep` produces: main.bicep plus every module, nested as
/// deployments. Only the few shapes our Bicep uses are read (literal arrays, literal names, variables).
/// </summary>
internal sealed partial class CompiledTemplate
{
    private static readonly Lazy<CompiledTemplate> MainTemplate = new(Compile);

    private CompiledTemplate(string json)
    {
        Json = json;
        Root = JsonDocument.Parse(json).RootElement;
        Templates = [.. WithNestedTemplates(Root)];
    }

    public static CompiledTemplate Main => MainTemplate.Value;

    public string Json { get; }

    public JsonElement Root { get; }

    /// <summary>main.bicep's template followed by each module's template.</summary>
    public IReadOnlyList<JsonElement> Templates { get; }

    /// <summary>Every resource of an ARM type, with the template (module) that declares it.</summary>
    public IReadOnlyList<(JsonElement Resource, JsonElement Template)> Resources(string type) =>
        [.. Templates.SelectMany(template => ResourcesOf(template).Select(resource => (resource, template)))
            .Where(pair => pair.resource.GetProperty("type").GetString() == type)];

    public (JsonElement Resource, JsonElement Template) FunctionApp =>
        Assert.Single(Resources("Microsoft.Web/sites"));

    /// <summary>
    /// App settings the Function App always gets: the literal {name, value} array of its siteConfig.appSettings
    /// (directly, or through the variables that expression concatenates).
    /// </summary>
    public IReadOnlyDictionary<string, JsonElement> AlwaysPresentAppSettings
    {
        get
        {
            var (site, template) = FunctionApp;
            var appSettings = site.GetProperty("properties").GetProperty("siteConfig").GetProperty("appSettings");
            var entries = appSettings.ValueKind == JsonValueKind.Array
                ? [.. appSettings.EnumerateArray()]
                : VariableNames(appSettings.GetString()!).SelectMany(name => LiteralArray(template, name)).ToList();
            return entries.ToDictionary(entry => entry.GetProperty("name").GetString()!, entry => entry.GetProperty("value"));
        }
    }

    /// <summary>App settings built conditionally (createObject('name', ...)), e.g. the alert channels.</summary>
    public IReadOnlySet<string> ConditionalAppSettingNames =>
        ConditionalSettingName().Matches(Json).Select(match => match.Groups["name"].Value).ToHashSet();

    /// <summary>
    /// The last segment of a resource's name (the topic, subscription or table name). Bicep writes a child's
    /// name as format('{0}/{1}', parent, leaf); the leaf is either a literal or a loop over a variable.
    /// </summary>
    public static IReadOnlyList<string> LeafNames(JsonElement resource, JsonElement template)
    {
        var name = resource.GetProperty("name").GetString()!;
        if (!name.StartsWith('['))
        {
            return [name.Split('/')[^1]];
        }

        var literal = TrailingLiteral().Match(name);
        if (literal.Success)
        {
            return [literal.Groups["leaf"].Value];
        }

        var loop = TrailingLoopOverVariable().Match(name);
        if (loop.Success)
        {
            return [.. LiteralArray(template, loop.Groups["variable"].Value).Select(element => element.GetString()!)];
        }

        throw new Xunit.Sdk.XunitException(
            $"Cannot read a literal name from '{name}'. Keep the names of resources the app relies on literal in Bicep.");
    }

    /// <summary>Names of the variables an ARM expression references, in order.</summary>
    public static IEnumerable<string> VariableNames(string expression) =>
        VariableReference().Matches(expression).Select(match => match.Groups["name"].Value);

    /// <summary>A template variable that must be a literal JSON array.</summary>
    public static IReadOnlyList<JsonElement> LiteralArray(JsonElement template, string variableName)
    {
        var value = template.GetProperty("variables").GetProperty(variableName);
        Assert.True(value.ValueKind == JsonValueKind.Array,
            $"Variable '{variableName}' should compile to a literal array so it stays checkable, but is: {value}");
        return [.. value.EnumerateArray()];
    }

    public static IEnumerable<JsonElement> ResourcesOf(JsonElement template)
    {
        var resources = template.GetProperty("resources");
        // Templates with symbolic names (languageVersion 2.0) keep resources in an object.
        return resources.ValueKind == JsonValueKind.Object
            ? resources.EnumerateObject().Select(property => property.Value)
            : resources.EnumerateArray();
    }

    private static IEnumerable<JsonElement> WithNestedTemplates(JsonElement template)
    {
        yield return template;
        foreach (var resource in ResourcesOf(template))
        {
            if (resource.GetProperty("type").GetString() == "Microsoft.Resources/deployments"
                && resource.GetProperty("properties").TryGetProperty("template", out var nested))
            {
                foreach (var inner in WithNestedTemplates(nested))
                {
                    yield return inner;
                }
            }
        }
    }

    private static CompiledTemplate Compile()
    {
        var build = Bicep.BuildMain();
        Assert.True(build.ExitCode == 0, $"bicep build infra/main.bicep failed ({build.ExitCode}):\n{build.StandardError}");
        return new CompiledTemplate(build.StandardOutput);
    }

    [GeneratedRegex(@"'(?<leaf>[^']*)'\)\]$")]
    private static partial Regex TrailingLiteral();

    [GeneratedRegex(@"variables\('(?<variable>\w+)'\)\[copyIndex\(\)\]\)\]$")]
    private static partial Regex TrailingLoopOverVariable();

    [GeneratedRegex(@"variables\('(?<name>\w+)'\)")]
    private static partial Regex VariableReference();

    [GeneratedRegex(@"createObject\('name', '(?<name>[^']+)'")]
    private static partial Regex ConditionalSettingName();
}
