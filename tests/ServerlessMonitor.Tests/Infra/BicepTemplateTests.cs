using System.Text.Json;

namespace ServerlessMonitor.Tests.Infra;

/// <summary>
/// `azd up` compiles infra/main.bicep before it deploys anything; these tests make sure that step cannot fail or
/// warn on an operator's machine, with our stricter lint rules (infra/bicepconfig.json) applied.
/// </summary>
public sealed class BicepTemplateTests
{
    [Fact]
    public void MainTemplateCompilesToAnArmTemplateWithoutErrorsOrWarnings()
    {
        var build = Bicep.BuildMain();

        Assert.True(build.ExitCode == 0, $"bicep build infra/main.bicep exited with {build.ExitCode}:\n{build.StandardError}");
        Assert.True(string.IsNullOrWhiteSpace(build.StandardError), $"bicep build infra/main.bicep reported diagnostics:\n{build.StandardError}");
        using var template = JsonDocument.Parse(build.StandardOutput);
        Assert.Equal(
            "https://schema.management.azure.com/schemas/2018-05-01/subscriptionDeploymentTemplate.json#",
            template.RootElement.GetProperty("$schema").GetString());
    }

    [Fact]
    public void MainTemplateAndEveryModulePassTheLinterCleanly()
    {
        var lint = Bicep.LintMain();

        var output = (lint.StandardOutput + lint.StandardError).Trim();
        Assert.True(lint.ExitCode == 0 && output.Length == 0, $"bicep lint infra/main.bicep exited with {lint.ExitCode} and reported:\n{output}");
    }

    [Fact]
    public void EveryBicepFileInInfraIsAModuleOfMainSoItIsBuiltAndLinted()
    {
        var infra = Path.Combine(Bicep.RepositoryRoot, "infra");
        var bicepFiles = Directory.GetFiles(infra, "*.bicep", SearchOption.AllDirectories);
        var allSources = string.Join('\n', bicepFiles.Select(File.ReadAllText));

        var orphans = bicepFiles
            .Select(file => Path.GetRelativePath(infra, file).Replace('\\', '/'))
            .Where(relative => relative != "main.bicep" && !allSources.Contains($"/{Path.GetFileName(relative)}'", StringComparison.Ordinal))
            .ToList();

        Assert.True(orphans.Count == 0, $"Bicep files no module references (neither built nor linted): {string.Join(", ", orphans)}");
    }
}
