# shellcheck shell=bash
# Helpers sourced by scripts/test.sh and scripts/start.sh:
#   ensure_tools          npm ci in tools/ when tools/node_modules is missing or stale
#   free_port [EXCLUDE..] a free TCP port on 127.0.0.1
#   start_azurite DIR     Azurite on three fresh ports, data in DIR; exports AZURITE_CONNECTION_STRING
#   ensure_docker         installs docker.io + busybox-static if missing, starts a private dockerd;
#                         exports DOCKER_HOST
# Whatever these start is stopped again when the sourcing script exits (also on failure or Ctrl-C).

SM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PATH="$PATH:/usr/sbin:/sbin"   # dockerd lives in /usr/sbin, which a non-root PATH may lack

sm_step() { printf '==> %s\n' "$*"; }
sm_die() { printf 'error: %s\n' "$*" >&2; exit 1; }
sm_require() { command -v "$1" >/dev/null 2>&1 || sm_die "'$1' not found: install $2 first"; }

# --- cleanup: sm_on_exit CMD ARGS... registers a command; they run last-registered first, once. ---
_SM_CLEANUP=()
sm_on_exit() { _SM_CLEANUP+=("$(printf '%q ' "$@")"); }
sm_cleanup() {
  trap '' INT TERM   # a second Ctrl-C must not cut the cleanup short
  local i
  for ((i = ${#_SM_CLEANUP[@]} - 1; i >= 0; i--)); do eval "${_SM_CLEANUP[i]}" || true; done
  _SM_CLEANUP=()
  trap 'exit 130' INT
  trap 'exit 143' TERM
}
trap sm_cleanup EXIT
trap 'echo "interrupted: stopping what was started" >&2; exit 130' INT
trap 'echo "terminated: stopping what was started" >&2; exit 143' TERM

# --- processes and ports ---
_sm_alive() {   # PID: running and not a zombie (reads /proc, so it also works for root's processes)
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

sm_stop_pid() {   # PID NAME [DEADLINE_SECONDS] [sudo]: SIGTERM, wait, then SIGKILL
  local pid=$1 name=$2 deadline=$((SECONDS + ${3:-15})) as=()
  [[ ${4:-} == sudo ]] && as=("${SM_SUDO[@]}")
  if _sm_alive "$pid"; then
    "${as[@]}" kill "$pid" 2>/dev/null || true
    while _sm_alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    if _sm_alive "$pid"; then
      printf 'warning: %s (pid %s) did not stop in time; killing it\n' "$name" "$pid" >&2
      "${as[@]}" kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true   # reap it if it is our child
}

_sm_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Ports are picked at random below Linux's ephemeral range (32768+), so outgoing connections never take
# them; one that accepts a connection is in use. start_azurite retries if a port is taken meanwhile.
free_port() {
  local port tries=0
  while ((tries++ < 500)); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
    [[ " $* " == *" $port "* ]] && continue
    _sm_port_open "$port" || { echo "$port"; return 0; }
  done
  sm_die "found no free TCP port on 127.0.0.1"
}

_sm_log_tail() { printf -- '--- last lines of %s ---\n' "$1" >&2; tail -n 20 "$1" >&2 || true; }

# --- tools/ (npm) ---
ensure_tools() {
  local t="$SM_ROOT/tools"
  sm_require node "Node.js and npm (e.g. apt-get install nodejs npm)"
  sm_require npm "Node.js and npm (e.g. apt-get install nodejs npm)"
  if [[ ! -x $t/node_modules/.bin/azurite || $t/package-lock.json -nt $t/node_modules/.package-lock.json ||
    $t/package.json -nt $t/node_modules/.package-lock.json ]]; then
    sm_step "Installing tools (npm ci in tools/)"
    (cd "$t" && npm ci --no-audit --no-fund --loglevel=error) || sm_die "npm ci in tools/ failed"
  fi
}

# --- Azurite ---
start_azurite() {   # DIR
  local dir=$1 bin="$SM_ROOT/tools/node_modules/.bin/azurite" attempt p1 p2 p3 pid deadline
  mkdir -p "$dir"
  for attempt in 1 2 3; do
    p1=$(free_port) && p2=$(free_port "$p1") && p3=$(free_port "$p1" "$p2")
    sm_step "Starting Azurite on 127.0.0.1 ports $p1/$p2/$p3 (blob/queue/table), data in $dir"
    "$bin" --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
      --blobPort "$p1" --queuePort "$p2" --tablePort "$p3" --location "$dir" \
      --skipApiVersionCheck --loose --silent --disableTelemetry >"$dir/azurite.log" 2>&1 &
    pid=$!
    sm_on_exit sm_stop_pid "$pid" Azurite 15
    deadline=$((SECONDS + 30))
    while _sm_alive "$pid" && ((SECONDS < deadline)); do
      if _sm_port_open "$p1" && _sm_port_open "$p2" && _sm_port_open "$p3"; then
        AZURITE_PID=$pid
        AZURITE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:$p1/devstoreaccount1;QueueEndpoint=http://127.0.0.1:$p2/devstoreaccount1;TableEndpoint=http://127.0.0.1:$p3/devstoreaccount1;"
        export AZURITE_PID AZURITE_CONNECTION_STRING
        return 0
      fi
      sleep 0.2
    done
    if _sm_alive "$pid"; then
      _sm_log_tail "$dir/azurite.log"
      sm_die "Azurite did not accept connections within 30 s"
    fi
    wait "$pid" 2>/dev/null || true
    grep -q EADDRINUSE "$dir/azurite.log" || { _sm_log_tail "$dir/azurite.log"; sm_die "Azurite exited at start-up"; }
    echo "    a port was taken meanwhile; trying other ports (attempt $attempt of 3)"
  done
  sm_die "Azurite could not get free ports"
}

# --- Docker engine: a private dockerd (own socket, data root, exec root, containerd namespace) ---
_sm_sudo() {
  if [[ $(id -u) == 0 ]]; then SM_SUDO=()
  elif command -v sudo >/dev/null 2>&1; then SM_SUDO=(sudo)
  else sm_die "$1 needs root: run as root or install sudo"
  fi
}

ensure_docker() {
  _sm_sudo "the Docker engine"
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1 ||
    ! dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed'; then
    sm_step "Installing docker.io and busybox-static (apt-get)"
    local log
    log=$(mktemp /tmp/sm-apt.XXXXXX.log)
    if ! { "${SM_SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
      "${SM_SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        -o DPkg::Lock::Timeout=300 docker.io busybox-static; } >"$log" 2>&1; then
      _sm_log_tail "$log"
      sm_die "apt-get install docker.io busybox-static failed"
    fi
    rm -f "$log"
  fi

  local dir pid="" deadline t0=$SECONDS
  dir=$(mktemp -d /tmp/smd.XXXXXX)   # short: unix socket paths are limited to ~100 characters
  echo '{}' >"$dir/daemon.json"      # ignore a developer's /etc/docker/daemon.json
  local args=(--host "unix://$dir/docker.sock" --data-root "$dir/data" --exec-root "$dir/exec"
    --pidfile "$dir/docker.pid" --config-file "$dir/daemon.json" --iptables=false --bridge=none
    --containerd-namespace "smd-${dir##*.}" --containerd-plugins-namespace "smd-plugins-${dir##*.}")
  [[ $(id -u) == 0 ]] || args+=(--group "$(id -gn)")
  [[ -n ${SERVERLESSMONITOR_DOCKER_STORAGE_DRIVER:-} ]] && args+=(--storage-driver "$SERVERLESSMONITOR_DOCKER_STORAGE_DRIVER")
  sm_step "Starting a private Docker engine (socket $dir/docker.sock)"
  sm_on_exit _sm_stop_docker "$dir"
  "${SM_SUDO[@]}" dockerd "${args[@]}" >"$dir/dockerd.log" 2>&1 &
  SM_DOCKERD_PID=$!
  deadline=$((SECONDS + 60))
  until docker -H "unix://$dir/docker.sock" version >/dev/null 2>&1; do
    if ! _sm_alive "$SM_DOCKERD_PID" || ((SECONDS >= deadline)); then
      _sm_log_tail "$dir/dockerd.log"
      sm_die "the Docker engine did not start (log: $dir/dockerd.log)"
    fi
    sleep 0.3
  done
  unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
  export DOCKER_HOST="unix://$dir/docker.sock"
  pid=$(cat "$dir/docker.pid" 2>/dev/null || true)
  echo "    Docker engine up in $((SECONDS - t0)) s (pid ${pid:-?}, storage driver $(docker info --format '{{.Driver}}' 2>/dev/null))"
}

_sm_stop_docker() {   # DIR
  local dir=$1 sock="unix://$1/docker.sock" ids pid
  if [[ -S $dir/docker.sock ]]; then
    ids=$(docker -H "$sock" ps -aq 2>/dev/null || true)
    # shellcheck disable=SC2086 # one id per word
    [[ -z $ids ]] || docker -H "$sock" rm -f $ids >/dev/null 2>&1 || true
  fi
  pid=$(cat "$dir/docker.pid" 2>/dev/null || true)
  [[ -n $pid ]] && sm_stop_pid "$pid" dockerd 30 sudo
  [[ -n ${SM_DOCKERD_PID:-} ]] && sm_stop_pid "$SM_DOCKERD_PID" "dockerd (launcher)" 5 sudo
  # Anything left that runs from this engine's own directory (its containerd, shims): by pid.
  for pid in $(pgrep -f -- "$dir/" 2>/dev/null || true); do sm_stop_pid "$pid" "engine process" 5 sudo; done
  # Unmount what the engine left mounted under its directory, deepest first, then remove it.
  awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do
    "${SM_SUDO[@]}" umount -l "$m" 2>/dev/null || true
  done
  "${SM_SUDO[@]}" rm -rf --one-file-system "$dir"
}
