using ServerlessMonitor.Benchmarks;

// Usage: dotnet run -c Release --project tests/ServerlessMonitor.Benchmarks -- [registered agents, default 10000]
// Needs SERVERLESSMONITOR_TEST_STORAGE (scripts/bench.sh starts Azurite and sets it).
var registered = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 10_000;
await Benchmarks.RunAsync(registered);
