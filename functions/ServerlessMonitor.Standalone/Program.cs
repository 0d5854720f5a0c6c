using ServerlessMonitor.Standalone;

var app = StandaloneApp.Create(args);
app.Run();
