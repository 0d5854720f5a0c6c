using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ServerlessMonitor.RestartAgent;

var builder = Host.CreateApplicationBuilder(args);
// Under systemd: journald-friendly logs and sd_notify readiness; elsewhere a no-op.
builder.Services.AddSystemd();
builder.Services.AddRestartAgent(builder.Configuration);
builder.Build().Run();
