#!/usr/bin/env bash
# The run command: starts the monitor locally in the foreground: Azurite (data kept in .azurite/) and the
# standalone host on http://127.0.0.1:${PORT:-7071}. Ctrl-C stops both. The API key is kept in .run/api-key.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SM_ROOT"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
port=${PORT:-7071}
url="http://127.0.0.1:$port"

sm_step "Checking prerequisites (dotnet, node, npm)"
sm_require dotnet "the .NET 10 SDK"
ensure_tools
! _sm_port_open "$port" || sm_die "port $port on 127.0.0.1 is in use; stop what uses it, or run: PORT=$((port + 1)) $0"

mkdir -p .azurite .run
exec 9>.azurite/.lock
flock -n 9 || sm_die "another scripts/start.sh is already running on .azurite/"
start_azurite "$SM_ROOT/.azurite"

if [[ ! -s .run/api-key ]]; then
  sm_step "Generating an API key into .run/api-key"
  (umask 077 && head -c 24 /dev/urandom | od -An -tx1 -v | tr -d ' \n' >.run/api-key)
fi
key=$(<.run/api-key)

cat <<INFO

  ServerlessMonitor: $url   (API key from .run/api-key: $key)
  Try, in another terminal:
    curl -s -X POST "$url/api/heartbeat" -H "x-functions-key: $key" -H "content-type: application/json" -d '{"agent":"demo-agent","status":"ok"}'
    curl -s $url/api/health

INFO
sm_step "Starting the standalone host (Ctrl-C stops it and Azurite)"
rc=0
MonitorStorage="$AZURITE_CONNECTION_STRING" Auth__ApiKeys__0="$key" \
  ASPNETCORE_ENVIRONMENT="${ASPNETCORE_ENVIRONMENT:-Development}" \
  dotnet run --project functions/ServerlessMonitor.Standalone -c Release --no-launch-profile -- --urls "$url" || rc=$?
exit "$rc"
