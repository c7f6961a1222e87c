#!/usr/bin/env bash
# The dashboard with a large fleet: the hub, IDLE_CONNECTIONS idle crawlers (hello + a heartbeat
# every 5 s), then the page in headless Chromium (DashboardLoad): how long until the crawler count
# shows, and how much of the page's main thread goes to long tasks (> 50 ms) over WINDOW_S seconds
# while heartbeats stream in. Also times the API calls the page makes on load.
#   bench/dashboard.sh                          # 10,000 crawlers
#   IDLE_CONNECTIONS=2000 bench/dashboard.sh
#   FLEET_ARGS="--crawlers=1000 --enqueue=20000 --jobs-per-crawler=20 --progress-per-job=200 --rate=5" \
#     bench/dashboard.sh                        # a working fleet instead (count = --crawlers)
# Needs chromium and chromium-driver (apt-get install -y chromium chromium-driver).
source "$(dirname "$0")/common.sh"

IDLE=${IDLE_CONNECTIONS:-10000}
WINDOW_S=${WINDOW_S:-30}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
machine_info >&2
build_classpath
start_hub SOCKET_MAX_CONNECTIONS=$((IDLE + 1000))

if [ -n "${FLEET_ARGS:-}" ]; then
  IDLE=$(sed -n 's/.*--crawlers=\([0-9]*\).*/\1/p' <<<"$FLEET_ARGS")
  # shellcheck disable=SC2206
  SIM_ARGS=(--api="$HUB_API" --admin-token="$HUB_ADMIN_TOKEN" $FLEET_ARGS)
else
  SIM_ARGS=(--idle-connections="$IDLE" --heartbeat-ms=5000)
fi
# shellcheck disable=SC2086
java $CLIENT_JAVA_OPTS -cp "$CLASSPATH_ALL" org.crawlerhub.sim.FleetSimulator --socket="$HUB_SOCKET" \
  --duration-s=$((WINDOW_S + 150)) --progress=lines "${SIM_ARGS[@]}" >"$BENCH_TMP/sim.log" 2>&1 &
STARTED_PIDS+=("$!")

api() { curl -s -m 120 -H "Authorization: Bearer $HUB_ADMIN_TOKEN" "$HUB_API$1"; }
held=0
for _ in $(seq 1 120); do
  held=$(api /api/status | python3 -c 'import json,sys; print(json.load(sys.stdin).get("connections", 0))' 2>/dev/null || echo 0)
  [ "$held" -ge "$IDLE" ] && break
  sleep 1
done
log "the hub holds $held connections"
sleep 10 # past the connection storm: every crawler has sent a heartbeat
for ep in /api/status /api/connections /api/crawlers /api/progress "/api/jobs?status=running&limit=200" "/api/errors?limit=50"; do
  curl -s -m 120 -o /dev/null -w "GET $ep: %{http_code} in %{time_total} s, %{size_download} bytes\n" \
    -H "Authorization: Bearer $HUB_ADMIN_TOKEN" "$HUB_API$ep"
done
t0=$(date +%s.%N); k0=$(proc_ticks "$HUB_PID")
sleep 10
t1=$(date +%s.%N); k1=$(proc_ticks "$HUB_PID")
java $CLIENT_JAVA_OPTS -cp "$CLASSPATH_ALL" org.crawlerhub.api.DashboardLoad "$HUB_API/" "$HUB_ADMIN_TOKEN" "$IDLE" "$WINDOW_S" \
  2> >(grep -v -E "^[A-Z][a-z]{2} [0-9]+, |^WARNING|SLF4J" >&2)
t2=$(date +%s.%N); k2=$(proc_ticks "$HUB_PID")
awk -v a="$k0" -v b="$k1" -v c="$k2" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v hz="$(getconf CLK_TCK)" 'BEGIN {
  printf "hub CPU: %.1f %% of one core in the 10 s before the page, %.1f %% while the page was open (load + window)\n",
    (b - a) / hz / (t1 - t0) * 100, (c - b) / hz / (t2 - t1) * 100 }'
