#!/usr/bin/env bash
# A fleet across two clustered hub nodes, with crashing crawlers, then the job store's consistency.
# Node A runs the embedded PostgreSQL, node B shares it (DATABASE_URL); both join one Hazelcast
# cluster. The simulator spreads its crawlers over both sockets; with --crash-share a crawler drops
# its connection mid-job and restarts on the other node under a new id, so its jobs' leases must
# expire and be requeued exactly once cluster-wide. After the run it waits LEASE_GRACE_MS + SETTLE_S
# for the last leases to expire and runs bench/consistency.sql (every "*_violations" must be 0).
# KILL_B_AFTER_S=N kills node B (SIGKILL) N seconds into the fleet: its crawlers reconnect to node A
# (--reconnect-ms, same id) and carry on with the jobs in hand, which the hub must still accept.
# STOP_B_AFTER_S=N stops node B (SIGTERM) instead, as a rolling restart would: its crawlers get a
# shutdown frame, hand their jobs back, leave, and reconnect to node A.
#   bench/fleet-cluster.sh
#   KILL_B_AFTER_S=5 bench/fleet-cluster.sh
#   bench/fleet-cluster.sh --crawlers=100 --enqueue=10000 --jobs-per-crawler=100 --crash-share=0.05
source "$(dirname "$0")/common.sh"

LEASE_GRACE_MS=${LEASE_GRACE_MS:-2000}
SETTLE_S=${SETTLE_S:-6}
machine_info >&2
build_classpath

HUB_NODE=hub-a start_hub HUB_CLUSTER=true HUB_LEASE_GRACE="$LEASE_GRACE_MS"
SOCKET_A=$HUB_SOCKET API_A=$HUB_API LOG_A=$HUB_LOG
PG_URL=$(grep -o "embedded PostgreSQL at postgresql://[^ ]*" "$LOG_A" | head -1 | sed 's/^embedded PostgreSQL at //')
[ -n "$PG_URL" ] || { log "no embedded PostgreSQL URL in $LOG_A"; exit 1; }
HUB_NODE=hub-b HUB_HTTP_PORT=$((HUB_HTTP_PORT + 1)) start_hub HUB_CLUSTER=true HUB_LEASE_GRACE="$LEASE_GRACE_MS" \
  DATABASE_URL="$PG_URL"
SOCKET_B=$HUB_SOCKET LOG_B=$HUB_LOG PID_B=$HUB_PID
for _ in $(seq 1 100); do
  curl -s "$API_A/ready" | grep -q '"members":2' && break
  sleep 0.2
done
log "cluster: $(curl -s "$API_A/ready" | grep -o '"members":[0-9]*'), database $PG_URL"

if [ -n "${KILL_B_AFTER_S:-}" ]; then
  (sleep "$KILL_B_AFTER_S"; kill -KILL "$PID_B" 2>/dev/null && log "killed node B (pid $PID_B)") &
fi
if [ -n "${STOP_B_AFTER_S:-}" ]; then
  (sleep "$STOP_B_AFTER_S"; kill -TERM "$PID_B" 2>/dev/null && log "stopping node B (SIGTERM, pid $PID_B)") &
fi
run_tool FleetSimulator --socket="$SOCKET_A,$SOCKET_B" --api="$API_A" --admin-token="$HUB_ADMIN_TOKEN" \
  --enqueue=2000 --crawlers=50 --jobs-per-crawler=40 --progress-per-job=50 --crash-share=0.05 \
  --restart-ms=500 --reconnect-ms=500 --duration-s=120 --progress=off "$@"

log "waiting $((LEASE_GRACE_MS / 1000)) s + ${SETTLE_S} s for the last leases to expire"
sleep $((LEASE_GRACE_MS / 1000 + SETTLE_S))
PGPASSWORD= psql -X -q "$PG_URL" -f bench/consistency.sql
for f in "$LOG_A" "$LOG_B"; do
  echo "--- $(basename "$f"): $(grep -c ' ERROR ' "$f" || true) ERROR lines, $(grep -c ' WARN ' "$f" || true) WARN lines"
  grep ' ERROR ' "$f" | cut -c1-200 | head -5 || true
done
