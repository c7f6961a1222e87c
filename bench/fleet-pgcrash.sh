#!/usr/bin/env bash
# A fleet while PostgreSQL crashes: the hub runs on an external PostgreSQL of its own (Debian's
# `postgresql` package: apt-get install -y postgresql; a throw-away cluster in the bench temp dir,
# run as the postgres user), and CRASH_AFTER_S seconds into the fleet that server is restarted in
# immediate mode (no checkpoint, crash recovery on start: ~0.5 s without a database). Afterwards:
# bench/consistency.sql, how many jobs_discovered were stored (the simulator's count is in its
# summary), failed jobs still waiting for a retry decision (must be none once their delay passed),
# and the hub's log lines about the outage.
#   bench/fleet-pgcrash.sh
#   CRASH_AFTER_S=8 bench/fleet-pgcrash.sh --crawlers=100 --enqueue=5000
source "$(dirname "$0")/common.sh"

CRASH_AFTER_S=${CRASH_AFTER_S:-4}
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PG_BIN/pg_ctl" ] || { log "no PostgreSQL server binaries under /usr/lib/postgresql: apt-get install -y postgresql"; exit 1; }
machine_info >&2
build_classpath

PG_DIR="$BENCH_TMP/pg"
PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$PG_DIR" && chown postgres "$PG_DIR" "$BENCH_TMP"
as_postgres() { runuser -u postgres -- "$@"; }
as_postgres "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres >/dev/null
# like the embedded server: no fsync, asynchronous commit
PG_OPTS="-F -p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c synchronous_commit=off -c max_connections=300"
as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -o "$PG_OPTS" -w start >/dev/null
stop_pg() { as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true; }
trap 'stop_pg; cleanup' EXIT
URL="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"

start_hub DATABASE_URL="$URL"
(sleep "$CRASH_AFTER_S"; log "PostgreSQL: immediate restart (a crash)"
 as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w restart >/dev/null 2>&1; log "PostgreSQL: back") &
run_tool FleetSimulator --socket="$HUB_SOCKET" --api="$HUB_API" --admin-token="$HUB_ADMIN_TOKEN" --enqueue=2000 \
  --crawlers=50 --jobs-per-crawler=40 --progress-per-job=50 --rate=200 --duration-s=120 --progress=off "$@"
sleep "${SETTLE_S:-10}"
psql -X -q "$URL" -f bench/consistency.sql
psql -X -q "$URL" -c "select count(*) as discovery_jobs_with_a_stored_discovery from jobs where progress ? 'discovery'" \
  -c "select count(*) as failed_jobs_without_a_decision from jobs where status = 'failed' and not_before is null"
echo "--- hub log: $(grep -c 'Discovery of job' "$HUB_LOG" || true) discoveries stored," \
  "$(grep -c 'not stored yet' "$HUB_LOG" || true) of them kept through the outage;" \
  "$(grep -c 'replaying buffered writes' "$HUB_LOG" || true) write-buffer replays;" \
  "$(grep -c ' ERROR ' "$HUB_LOG" || true) ERROR lines"
