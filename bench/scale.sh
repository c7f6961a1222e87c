#!/usr/bin/env bash
# Scale: hold N idle crawler connections (hello + a heartbeat every 5 s) against the hub and sample
# the hub's connections, open fds, heap, RSS, threads and CPU while they are held.
#   bench/scale.sh                              # 10,000 connections for 120 s
#   IDLE_CONNECTIONS=2000 DURATION_S=60 bench/scale.sh
#   TARGET=baseline bench/scale.sh              # same against the BaselineServer (no /api/status)
# Extra arguments go to FleetSimulator. The hub gets SOCKET_MAX_CONNECTIONS=20000 (default 1000).
# "live heap" rows follow a full GC (jcmd GC.run): it pauses the hub once per such row.
source "$(dirname "$0")/common.sh"

IDLE=${IDLE_CONNECTIONS:-10000}
DURATION=${DURATION_S:-120}
HEARTBEAT_MS=${HEARTBEAT_MS:-5000}
SAMPLE_S=${SAMPLE_S:-5}
TARGET=${TARGET:-hub}

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" -lt $((IDLE + 1000)) ]; then
  log "WARNING: ulimit -n is $(ulimit -n) (hard $(ulimit -Hn)); $IDLE connections need more open files"
fi
machine_info >&2
echo "ulimit -n: $(ulimit -n)" >&2
build_classpath

if [ "$TARGET" = baseline ]; then
  SOCKET="$BENCH_TMP/baseline.sock"
  start_baseline "$SOCKET" "${BASELINE_INSTANCES:-2}"
  PID=$BASELINE_PID
else
  start_hub SOCKET_MAX_CONNECTIONS=20000
  SOCKET=$HUB_SOCKET
  PID=$HUB_PID
fi

CLK_TCK=$(getconf CLK_TCK)
T0=$(date +%s.%N)
LAST_TICKS=0
LAST_T=$T0

cpu_ticks() { proc_ticks "$PID"; }

# The hub's embedded PostgreSQL: its postmaster (postmaster.pid under the bench's data directory)
# and every backend. The postmaster's cutime/cstime hold the backends that have exited.
PG_PM=
pg_ticks() {
  if [ -z "$PG_PM" ]; then
    local f
    f=$(find "$BENCH_TMP" -name postmaster.pid 2>/dev/null | head -1)
    [ -n "$f" ] && PG_PM=$(head -1 "$f")
  fi
  if [ -z "$PG_PM" ] || [ ! -e "/proc/$PG_PM" ]; then echo 0; return; fi
  { proc_ticks "$PG_PM" children
    for c in $(ps -o pid= --ppid "$PG_PM"); do proc_ticks "$c"; done; } | awk '{s += $1} END {print s + 0}'
}

heap_used_mb() {
  # the heap's own lines (G1: one; Parallel/Serial: young + old), not Metaspace
  jcmd "$PID" GC.heap_info 2>/dev/null \
    | grep -E 'garbage-first heap|PSYoungGen|ParOldGen|def new generation|tenured generation' \
    | grep -oE 'used [0-9]+K' | awk '{sub("K","",$2); kb += $2} END {printf "%.1f", kb/1024}'
}

hub_connections() {
  if [ "$TARGET" = baseline ]; then echo "n/a"; return; fi
  curl -s -m 5 -H "Authorization: Bearer $HUB_ADMIN_TOKEN" "$HUB_API/api/status" 2>/dev/null \
    | python3 -c 'import json,sys
try: print(json.load(sys.stdin).get("connections","?"))
except Exception: print("?")'
}

sample() { # sample LABEL [gc]
  local label=$1
  [ "${2:-}" = gc ] && jcmd "$PID" GC.run >/dev/null 2>&1
  local now ticks cpu pgt pgcpu
  LAST_HEAP=$(heap_used_mb)
  LAST_CONNS=$(hub_connections)
  now=$(date +%s.%N)
  ticks=$(cpu_ticks)
  pgt=$(pg_ticks)
  cpu=$(awk -v a="$LAST_TICKS" -v b="$ticks" -v t0="$LAST_T" -v t1="$now" -v hz="$CLK_TCK" \
    'BEGIN { d = t1 - t0; if (d <= 0) d = 1; printf "%.1f", (b - a) / hz / d * 100 }')
  pgcpu=$(awk -v a="$LAST_PG_TICKS" -v b="$pgt" -v t0="$LAST_T" -v t1="$now" -v hz="$CLK_TCK" \
    'BEGIN { d = t1 - t0; if (d <= 0) d = 1; printf "%.1f", (b - a) / hz / d * 100 }')
  LAST_TICKS=$ticks
  LAST_PG_TICKS=$pgt
  LAST_T=$now
  LAST_CPU=$cpu
  LAST_PG_CPU=$pgcpu
  printf "%7.1f  %-16s %8s %8s %10s %9s %8s %7s %7s\n" \
    "$(awk -v a="$T0" -v b="$now" 'BEGIN{print b-a}')" "$label" "$LAST_CONNS" \
    "$(ls "/proc/$PID/fd" | wc -l)" "$LAST_HEAP" \
    "$(awk '/VmRSS/ {printf "%.1f", $2/1024}' "/proc/$PID/status")" \
    "$(awk '/^Threads/ {print $2}' "/proc/$PID/status")" "$cpu" "$pgcpu"
}

echo
echo "target=$TARGET pid=$PID idle_connections=$IDLE heartbeat_ms=$HEARTBEAT_MS duration_s=$DURATION"
printf "%7s  %-16s %8s %8s %10s %9s %8s %7s %7s\n" "t_s" "sample" "conns" "fds" "heap_MB" "rss_MB" "threads" "cpu_%" "pg_%"
LAST_TICKS=$(cpu_ticks)
LAST_PG_TICKS=$(pg_ticks)
sleep 2
sample "idle"
sample "idle live heap" gc
IDLE_LIVE=$LAST_HEAP
HELD_LIVE=

# shellcheck disable=SC2086
java $CLIENT_JAVA_OPTS -cp "$CLASSPATH_ALL" org.crawlerhub.sim.FleetSimulator --socket="$SOCKET" \
  --idle-connections="$IDLE" --heartbeat-ms="$HEARTBEAT_MS" --duration-s="$DURATION" \
  --progress=lines "$@" >"$BENCH_TMP/sim.log" 2>&1 &
SIM_PID=$!
STARTED_PIDS+=("$SIM_PID")

HALF=$(( DURATION / 2 ))
START=$(date +%s)
LIVE_DONE=
STEADY=()
ALL_HELD=
held_now() { # connections the target holds: /api/status, or open fds for the baseline
  if [ "$LAST_CONNS" = "n/a" ] || [ "$LAST_CONNS" = "?" ]; then ls "/proc/$PID/fd" | wc -l; else echo "$LAST_CONNS"; fi
}
while kill -0 "$SIM_PID" 2>/dev/null; do
  sleep "$SAMPLE_S"
  kill -0 "$SIM_PID" 2>/dev/null || break
  sample "held"
  # steady state: every connection already held at the sample before (the storm is over) and 25 s in
  if [ "$(held_now)" -ge "$IDLE" ]; then
    if [ -n "$ALL_HELD" ] && [ $(( $(date +%s) - START )) -ge 25 ]; then
      STEADY+=("$LAST_CPU $LAST_PG_CPU")
    fi
    ALL_HELD=1
  fi
  # One full-GC sample once everything is connected and half the hold time has passed.
  if [ -z "$LIVE_DONE" ] && [ $(( $(date +%s) - START )) -ge "$HALF" ] && [ "$(held_now)" -ge "$IDLE" ]; then
    sample "held live heap" gc
    LIVE_DONE=1
    if [ "$(held_now)" -ge "$IDLE" ]; then HELD_LIVE=$LAST_HEAP; fi
  fi
done
wait "$SIM_PID" || log "simulator exited with status $?"
sleep 3
sample "after"
sample "after live heap" gc
echo
echo "--- simulator (last lines of $BENCH_TMP/sim.log) ---"
tail -8 "$BENCH_TMP/sim.log"
if [ "${#STEADY[@]}" -gt 0 ]; then
  printf '%s\n' "${STEADY[@]}" | awk '{ h += $1; p += $2; n++; if (n == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
    END { printf "steady CPU (held samples from 25 s on, after the connection storm; no full-GC sample): hub mean %.1f %% of one core (%.1f-%.1f, %d samples), its PostgreSQL mean %.1f %%\n", h / n, lo, hi, n, p / n }'
fi
if [ -n "$HELD_LIVE" ]; then
  awk -v a="$IDLE_LIVE" -v b="$HELD_LIVE" -v n="$IDLE" 'BEGIN {
    printf "live heap per connection ~ %.1f KB ((held live %.1f MB - idle live %.1f MB) / %d)\n", (b - a) * 1024 / n, b, a, n }'
fi
