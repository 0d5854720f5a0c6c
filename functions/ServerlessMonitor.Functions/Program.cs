using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using ServerlessMonitor.Functions;
using ServerlessMonitor.Hosting;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services
    .AddMonitorTelemetry(builder.Configuration)
    .AddMonitorCore(builder.Configuration)
    .AddServiceBusEventPublisher(builder.Configuration);
builder.Build().Run();
