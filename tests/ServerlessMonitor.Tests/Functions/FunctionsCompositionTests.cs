using System.Reflection;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ServerlessMonitor.Functions;

namespace ServerlessMonitor.Tests.Functions;

/// <summary>
/// The Functions host cannot run here, so its composition root is checked directly: with the settings the Bicep
/// template provides, every class that holds a [Function] resolves from the app's container.
/// </summary>
public sealed class FunctionsCompositionTests
{
    [Fact]
    public async Task Every_function_class_resolves_from_the_apps_services()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MonitorStorage:tableServiceUri"] = "https://account.table.core.windows.net",
            ["MonitorStorage:clientId"] = "00000000-0000-0000-0000-000000000001",
            ["ServiceBusConnection:fullyQualifiedNamespace"] = "namespace.servicebus.windows.net",
            ["ServiceBusConnection:clientId"] = "00000000-0000-0000-0000-000000000001",
            ["AZURE_CLIENT_ID"] = "00000000-0000-0000-0000-000000000001",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddSingleton<IHostEnvironment>(new TestEnvironment());
        services.AddServerlessMonitorFunctions(configuration);
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var functionClasses = typeof(FunctionsAppServices).Assembly.GetTypes()
            .Where(t => t.GetMethods().Any(m => m.GetCustomAttribute<FunctionAttribute>() is not null))
            .ToList();

        Assert.NotEmpty(functionClasses);
        foreach (var type in functionClasses)
        {
            Assert.NotNull(ActivatorUtilities.CreateInstance(provider, type));
        }
    }

    private sealed class TestEnvironment : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Production";
        public string ApplicationName { get; set; } = "ServerlessMonitor.Functions";
        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = new Microsoft.Extensions.FileProviders.NullFileProvider();
    }
}
