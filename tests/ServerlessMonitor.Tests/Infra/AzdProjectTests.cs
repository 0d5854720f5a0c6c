using System.Text.Json;

namespace ServerlessMonitor.Tests.Infra;

/// <summary>
/// `azd up` reads azure.yaml and infra/main.parameters.json before it touches Azure; a mistake there fails the
/// operator's first run. These check what azd itself checks, offline.
/// </summary>
public sealed class AzdProjectTests
{
    // Hosts and .NET languages azd accepts in azure.yaml (schemas/v1.0/azure.yaml.json of Azure/azure-dev).
    private static readonly string[] AzdHosts = ["appservice", "containerapp", "function", "staticwebapp", "aks", "springapp"];
    private static readonly string[] AzdDotnetLanguages = ["dotnet", "csharp", "fsharp"];

    private static readonly IReadOnlyDictionary<string, string> AzureYaml = ReadSimpleYaml(Path.Combine(Bicep.RepositoryRoot, "azure.yaml"));

    [Fact]
    public void AzureYamlDeclaresTheFunctionsServiceAsADotnetFunctionAppProject()
    {
        Assert.True(AzureYaml.ContainsKey("name"), "azure.yaml needs a project name.");
        Assert.Equal("function", AzureYaml.GetValueOrDefault("services.functions.host"));
        Assert.Equal("dotnet", AzureYaml.GetValueOrDefault("services.functions.language"));
        Assert.Contains(AzureYaml["services.functions.host"], AzdHosts);
        Assert.Contains(AzureYaml["services.functions.language"], AzdDotnetLanguages);

        var project = AzureYaml.GetValueOrDefault("services.functions.project");
        Assert.Equal("./functions/ServerlessMonitor.Functions", project);
        var projectDirectory = Path.GetFullPath(Path.Combine(Bicep.RepositoryRoot, project!));
        Assert.True(Directory.Exists(projectDirectory), $"azure.yaml points at {projectDirectory}, which does not exist.");
        var csproj = Assert.Single(Directory.GetFiles(projectDirectory, "*.csproj"));
        Assert.Contains("<AzureFunctionsVersion>", File.ReadAllText(csproj), StringComparison.Ordinal);
    }

    [Fact]
    public void AzureYamlUsesTheBicepInInfra()
    {
        Assert.Equal("bicep", AzureYaml.GetValueOrDefault("infra.provider", "bicep"));
        var path = AzureYaml.GetValueOrDefault("infra.path", "infra");
        var module = AzureYaml.GetValueOrDefault("infra.module", "main");
        Assert.True(File.Exists(Path.Combine(Bicep.RepositoryRoot, path, module + ".bicep")), $"azd would look for {path}/{module}.bicep");
        Assert.True(File.Exists(Path.Combine(Bicep.RepositoryRoot, path, module + ".parameters.json")), $"azd would look for {path}/{module}.parameters.json");
    }

    [Fact]
    public void FunctionAppCarriesTheAzdServiceTagOfTheAzureYamlService()
    {
        // azd deploys a service to the resource tagged azd-service-name = <service name in azure.yaml>.
        var service = Assert.Single(AzureYaml.Keys, key => key.StartsWith("services.", StringComparison.Ordinal) && key.EndsWith(".host", StringComparison.Ordinal))
            .Split('.')[1];
        var tags = CompiledTemplate.Main.FunctionApp.Resource.GetProperty("tags");

        var tagged = tags.ValueKind == JsonValueKind.Object
            ? tags.TryGetProperty("azd-service-name", out var value) && value.GetString() == service
            : tags.GetString()!.Contains($"'azd-service-name', '{service}'", StringComparison.Ordinal);
        Assert.True(tagged, $"The Function App's tags ({tags}) do not set azd-service-name to '{service}'.");
    }

    [Fact]
    public void ParametersFileFeedsTheAzdEnvironmentAndSuppliesEveryRequiredParameter()
    {
        using var file = JsonDocument.Parse(File.ReadAllText(Path.Combine(Bicep.RepositoryRoot, "infra", "main.parameters.json")));
        var supplied = file.RootElement.GetProperty("parameters").EnumerateObject()
            .ToDictionary(parameter => parameter.Name, parameter => parameter.Value.GetProperty("value").ToString());
        var declared = CompiledTemplate.Main.Root.GetProperty("parameters");

        Assert.Equal("${AZURE_ENV_NAME}", supplied.GetValueOrDefault("environmentName"));
        Assert.Equal("${AZURE_LOCATION}", supplied.GetValueOrDefault("location"));
        Assert.Equal("${AZURE_PRINCIPAL_ID}", supplied.GetValueOrDefault("principalId"));

        var unknown = supplied.Keys.Where(name => !declared.TryGetProperty(name, out _)).ToList();
        Assert.True(unknown.Count == 0, $"main.parameters.json sets parameters main.bicep does not declare: {string.Join(", ", unknown)}");

        // azd prompts for a parameter with neither a default nor a value here, which breaks unattended runs.
        var unsupplied = declared.EnumerateObject()
            .Where(parameter => !parameter.Value.TryGetProperty("defaultValue", out _) && !supplied.ContainsKey(parameter.Name))
            .Select(parameter => parameter.Name)
            .ToList();
        Assert.True(unsupplied.Count == 0, $"Required parameters missing from main.parameters.json: {string.Join(", ", unsupplied)}");
    }

    /// <summary>
    /// Flattens a small block-style YAML file (mappings only, no lists or multi-line values) into dotted keys,
    /// e.g. services.functions.host. Enough for azure.yaml; anything fancier fails loudly.
    /// </summary>
    private static Dictionary<string, string> ReadSimpleYaml(string path)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var parents = new List<(int Indent, string Key)>();
        foreach (var rawLine in File.ReadAllLines(path))
        {
            var line = rawLine.TrimEnd();
            if (line.TrimStart().Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var indent = line.Length - line.TrimStart().Length;
            var separator = line.IndexOf(':', StringComparison.Ordinal);
            Assert.True(separator > 0 && !line.TrimStart().StartsWith('-'), $"azure.yaml line is not a simple 'key: value': {rawLine}");
            var key = line[indent..separator].Trim();
            var value = line[(separator + 1)..].Trim().Trim('"', '\'');

            parents.RemoveAll(parent => parent.Indent >= indent);
            var fullKey = string.Join('.', parents.Select(parent => parent.Key).Append(key));
            if (value.Length == 0)
            {
                parents.Add((indent, key));
            }
            else
            {
                values[fullKey] = value;
            }
        }

        return values;
    }
}
