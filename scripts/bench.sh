#!/usr/bin/env bash
# Prints the benchmark figures (heartbeat throughput, storage requests per heartbeat, sweep cost by fleet size)
# against a fresh Azurite. Usage: scripts/bench.sh [registered agents, default 10000]
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SM_ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

sm_require dotnet "the .NET 10 SDK"
ensure_tools
run_dir=$(mktemp -d /tmp/smb.XXXXXX)
sm_on_exit rm -rf "$run_dir"
start_azurite "$run_dir/azurite"
export SERVERLESSMONITOR_TEST_STORAGE="$AZURITE_CONNECTION_STRING"
sm_step "Running the benchmarks"
dotnet run -c Release --project tests/ServerlessMonitor.Benchmarks -- "$@"
