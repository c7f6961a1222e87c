# Shared helpers of the bench/*.sh scripts (sourced, not run). Starts only processes it records by
# PID and stops exactly those on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CLIENT_JAVA_OPTS=${CLIENT_JAVA_OPTS:--Xms512m -Xmx1g}
BASELINE_JAVA_OPTS=${BASELINE_JAVA_OPTS:--Xms512m -Xmx1g}
HUB_JAVA_OPTS=${HUB_JAVA_OPTS:--Xms1g -Xmx2g}
HUB_JAR=${HUB_JAR:-$ROOT/target/crawler-hub.jar}
# HUB_JAVA: the java that runs the hub (default: java on PATH), e.g. another JDK's bin/java; the
# load generator and the baseline stay on PATH's.
HUB_JAVA=${HUB_JAVA:-java}
# HUB_CMD replaces "$HUB_JAVA $HUB_JAVA_OPTS -jar $HUB_JAR" (e.g. to add a profiler agent); it is run
# in the hub's temp data dir with the hub's environment. HUB_MAIN runs another main class of the
# jar instead of its Main (latency.sh: org.crawlerhub.sim.ProbedHub, the hub with one-way probes).
HUB_HTTP_PORT=${HUB_HTTP_PORT:-18080}
HUB_ADMIN_TOKEN=${HUB_ADMIN_TOKEN:-bench-admin-token}
# The default profile is "development" (log level debug): benchmark what production runs.
HUB_PROFILE=${HUB_PROFILE:-production}

BENCH_TMP=$(mktemp -d /tmp/crawlerhub-bench.XXXXXX)
STARTED_PIDS=()

cleanup() {
  local pid
  for pid in "${STARTED_PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  if [ -z "${KEEP_BENCH_TMP:-}" ]; then rm -rf "$BENCH_TMP"; else echo "kept $BENCH_TMP"; fi
}
trap cleanup EXIT

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# CPU clock ticks a process used: utime + stime (fields 14, 15 of /proc/PID/stat, counted after the
# ")"); with "children", also its reaped children's (cutime + cstime). 0 when the process is gone.
proc_ticks() { # proc_ticks PID [children]
  local f="/proc/$1/stat"
  [ -r "$f" ] || { echo 0; return; }
  if [ "${2:-}" = children ]; then
    sed 's/^.*) //' "$f" | awk '{print $12 + $13 + $14 + $15}'
  else
    sed 's/^.*) //' "$f" | awk '{print $12 + $13}'
  fi
}

# Compiles main + test classes (JMH annotation processing included) and writes the test-scope
# dependency classpath once per pom change.
build_classpath() {
  local cpfile="$ROOT/target/bench-classpath.txt"
  if [ -z "${SKIP_BUILD:-}" ]; then
    log "compiling (mvn -o -q -B test-compile)"
    mvn -o -q -B test-compile >&2
  fi
  if [ ! -s "$cpfile" ] || [ "$ROOT/pom.xml" -nt "$cpfile" ]; then
    mvn -o -q -B dependency:build-classpath -Dmdep.outputFile="$cpfile" -Dmdep.includeScope=test >&2
  fi
  CLASSPATH_ALL="$ROOT/target/test-classes:$ROOT/target/classes:$(cat "$cpfile")"
}

run_tool() { # run_tool MainClass args...  (in the foreground)
  local main=$1; shift
  # shellcheck disable=SC2086
  ${CLIENT_NICE:+nice -n $CLIENT_NICE} java $CLIENT_JAVA_OPTS -cp "$CLASSPATH_ALL" "org.crawlerhub.sim.$main" "$@"
}

wait_for_socket() { # wait_for_socket PATH PID SECONDS
  local path=$1 pid=$2 secs=${3:-60}
  for _ in $(seq 1 $((secs * 5))); do
    [ -S "$path" ] && return 0
    kill -0 "$pid" 2>/dev/null || { log "process $pid died before listening"; return 1; }
    sleep 0.2
  done
  log "no socket at $path after ${secs}s"; return 1
}

start_baseline() { # start_baseline SOCKET INSTANCES [more BaselineServer options] -> BASELINE_PID
  local socket=$1 instances=${2:-2}
  shift 2
  # shellcheck disable=SC2086
  java $BASELINE_JAVA_OPTS -cp "$CLASSPATH_ALL" org.crawlerhub.sim.BaselineServer \
    --socket="$socket" --instances="$instances" "$@" >"$BENCH_TMP/baseline.log" 2>&1 &
  BASELINE_PID=$!
  STARTED_PIDS+=("$BASELINE_PID")
  wait_for_socket "$socket" "$BASELINE_PID" 30
  log "baseline pid $BASELINE_PID listening on $socket ($instances instances)"
}

# start_hub [ENV=VALUE ...] -> HUB_PID, HUB_SOCKET, HUB_API, HUB_LOG. Embedded PostgreSQL in a temp
# data dir unless DATABASE_URL=... is among the arguments. HUB_NODE names the node's data dir and log
# (default "hub"), so several nodes can run side by side (with their own HUB_HTTP_PORT).
start_hub() {
  if [ -z "${HUB_CMD:-}" ] && [ ! -f "$HUB_JAR" ]; then
    log "no $HUB_JAR: build it with 'mvn -o -q -B clean package -DskipTests'"
    return 1
  fi
  if [ -z "${HUB_CMD:-}" ] && [ -z "${ALLOW_FOREIGN_MIGRATIONS:-}" ]; then
    # A migration in the jar that the sources do not have is a leftover in target/classes (an
    # experiment packaged by every later build): benchmark what the sources build.
    local m stale=
    for m in $(unzip -Z1 "$HUB_JAR" 'db/migration/*.sql' 2>/dev/null); do
      [ -f "$ROOT/src/main/resources/$m" ] || stale="$stale $m"
    done
    if [ -n "$stale" ]; then
      log "$HUB_JAR has migrations the sources do not:$stale - rebuild with 'mvn -o -q -B clean package -DskipTests'" \
        "(or ALLOW_FOREIGN_MIGRATIONS=1 for an old jar on purpose)"
      return 1
    fi
  fi
  local launch="-jar $HUB_JAR"
  [ -z "${HUB_MAIN:-}" ] || launch="-cp $HUB_JAR $HUB_MAIN"
  local node=${HUB_NODE:-hub}
  local data="$BENCH_TMP/$node"
  HUB_LOG="$BENCH_TMP/$node.log"
  mkdir -p "$data"
  HUB_SOCKET="$data/crawler-hub.sock"
  HUB_API="http://127.0.0.1:$HUB_HTTP_PORT"
  # shellcheck disable=SC2086
  (cd "$data" && exec env -u DATABASE_URL HUB_DATA_DIR="$data" SOCKET_PATH="$HUB_SOCKET" \
      HTTP_PORT="$HUB_HTTP_PORT" TCP_ENABLED=false HUB_ADMIN_TOKEN="$HUB_ADMIN_TOKEN" HUB_PROFILE="$HUB_PROFILE" "$@" \
      ${HUB_CMD:-$HUB_JAVA $HUB_JAVA_OPTS $launch}) >"$HUB_LOG" 2>&1 &
  HUB_PID=$!
  STARTED_PIDS+=("$HUB_PID")
  wait_for_socket "$HUB_SOCKET" "$HUB_PID" 180 || { tail -50 "$HUB_LOG" >&2; return 1; }
  for _ in $(seq 1 300); do
    curl -sf "$HUB_API/health" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -sf "$HUB_API/health" >/dev/null || { log "hub /health does not answer"; tail -50 "$HUB_LOG" >&2; return 1; }
  log "hub pid $HUB_PID (profile $HUB_PROFILE) listening on $HUB_SOCKET, API $HUB_API (log: $HUB_LOG)"
}

machine_info() {
  echo "date:   $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc:  $(nproc)"
  echo "memory: $(free -h | awk '/^Mem:/ {print $2 " total, " $7 " available"}')"
  echo "kernel: $(uname -r)"
  echo "java:   $(java -version 2>&1 | head -2 | tr '\n' ' ')"
  [ "$HUB_JAVA" = java ] || echo "hub on: $("$HUB_JAVA" -version 2>&1 | head -2 | tr '\n' ' ')"
  echo "load:   $(cut -d' ' -f1-3 /proc/loadavg)"
}

# compare_targets MainClass args...: starts the baseline and/or the hub per TARGETS (both|baseline|hub)
# and runs the client tool against them with the right sockets. Shared by ingest.sh and latency.sh.
compare_targets() {
  local tool=$1
  shift
  TARGETS=${TARGETS:-both}
  machine_info >&2
  build_classpath
  local args=() baseline_opts=() hub_env=()
  if [ "$tool" = LatencyBenchmark ]; then
    # one-way probes: the servers record when they publish (decode) each probe line
    baseline_opts+=(--probe-file="$BENCH_TMP/baseline.probes")
    args+=(--baseline-probe-file="$BENCH_TMP/baseline.probes")
    if [ -n "${HUB_CMD:-}" ] || ! unzip -Z1 "$HUB_JAR" 'org/crawlerhub/sim/ProbedHub.class' >/dev/null 2>&1; then
      log "hub without one-way probes (HUB_CMD set, or $HUB_JAR has no ProbedHub): round trips only"
    else
      export HUB_MAIN=org.crawlerhub.sim.ProbedHub
      hub_env+=(HUB_PROBE_FILE="$BENCH_TMP/hub.probes")
      args+=(--hub-probe-file="$BENCH_TMP/hub.probes")
    fi
  fi
  if [ "$TARGETS" != hub ]; then
    start_baseline "$BENCH_TMP/baseline.sock" "${BASELINE_INSTANCES:-2}" "${baseline_opts[@]}"
    args+=(--baseline-socket="$BENCH_TMP/baseline.sock")
  fi
  if [ "$TARGETS" != baseline ]; then
    start_hub "${hub_env[@]}"
    args+=(--hub-socket="$HUB_SOCKET" --api="$HUB_API" --admin-token="$HUB_ADMIN_TOKEN")
  fi
  if [ "$tool" = IngestBenchmark ]; then
    args+=(--hub-pid="${HUB_PID:-0}" --baseline-pid="${BASELINE_PID:-0}")
  fi
  run_tool "$tool" "${args[@]}" "$@"
}
