using ServerlessMonitor.Hosting;

namespace ServerlessMonitor.Standalone;

/// <summary>The whole monitor in one process: the HTTP API, the sweeper on a timer, and the event consumers.</summary>
public static class StandaloneApp
{
    /// <param name="configure">Lets tests adjust the builder (configuration, time) before the app is built.</param>
    public static WebApplication Create(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // Settings files sit beside the binary, wherever the process is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
            o.IncludeScopes = false;
        });
        configure?.Invoke(builder);

        builder.Services
            .AddMonitorCore(builder.Configuration)
            .AddEventTransport(builder.Configuration)
            .AddSweeperService()
            .AddApiKeyAuthentication(builder.Configuration)
            .AddProblemDetails();

        var app = builder.Build();
        // Errors that no endpoint answered (405, an unexpected exception) still get an RFC 9457 body.
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapMonitorApi();
        return app;
    }
}
