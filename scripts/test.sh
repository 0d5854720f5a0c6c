#!/usr/bin/env bash
# The test command: installs and starts what the tests need (Azurite, a private Docker engine), runs the
# whole test suite, and stops both again, also on failure or Ctrl-C.
# Usage: scripts/test.sh [extra dotnet test arguments, e.g. --filter "FullyQualifiedName~Sweeper"]
# Exits with dotnet test's exit code.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SM_ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

sm_step "Checking prerequisites (dotnet, node, npm)"
sm_require dotnet "the .NET 10 SDK"
ensure_tools
ensure_docker

run_dir=$(mktemp -d /tmp/smt.XXXXXX)
sm_on_exit rm -rf "$run_dir"
start_azurite "$run_dir/azurite"

export SERVERLESSMONITOR_TEST_STORAGE="$AZURITE_CONNECTION_STRING" DOCKER_HOST
results="$SM_ROOT/TestResults/${run_dir##*/}"   # kept (TestResults/ is ignored by git)
sm_step "Running dotnet test${*:+ $*}"
rc=0
dotnet test ServerlessMonitor.sln -c Release -p:OfflineFunctionsBuild=true \
  --logger "console;verbosity=normal" --logger trx --results-directory "$results" "$@" || rc=$?

# Sum the counters of every TRX file (one per test project).
count() { local n; n=$(sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters" | head -n 1); echo "${n:-0}"; }
passed=0 failed=0 skipped=0 trx_files=0
for trx in "$results"/*.trx; do
  [[ -e $trx ]] || continue
  trx_files=$((trx_files + 1))
  counters=$(grep -o '<Counters [^>]*' "$trx" || true)
  passed=$((passed + $(count passed)))
  failed=$((failed + $(count failed) + $(count error) + $(count timeout) + $(count aborted)))
  skipped=$((skipped + $(count total) - $(count executed)))
done

sm_step "Stopping Azurite and the Docker engine"
sm_cleanup
if ((rc == 0)); then
  sm_step "Tests passed"
elif ((trx_files == 0)); then
  sm_step "FAILED: dotnet test exited with code $rc before any test ran (see the build output above)"
  echo "Summary: no test ran"
  exit "$rc"
else
  sm_step "Tests FAILED (dotnet test exit code $rc)"
fi
echo "Summary: $passed passed, $failed failed, $skipped skipped"
exit "$rc"
