#!/usr/bin/env bash
# Mixed, realistic load: starts the hub (like ingest.sh) and runs the FleetSimulator against it —
# jobs enqueued via the API, crawlers claiming, progressing, discovering, failing, refreshing
# tokens — then prints the simulator's summary (msg/s, job_request RTT percentiles, errors by code)
# and the hub's job counts. Arguments go to FleetSimulator and override the defaults below.
#   bench/fleet.sh
#   bench/fleet.sh --crawlers=200 --enqueue=5000 --rate=50 --duration-s=120
#   TARGET=baseline bench/fleet.sh          # against the BaselineServer (made-up jobs)
source "$(dirname "$0")/common.sh"

TARGET=${TARGET:-hub}
machine_info >&2
build_classpath

if [ "$TARGET" = baseline ]; then
  start_baseline "$BENCH_TMP/baseline.sock" "${BASELINE_INSTANCES:-2}"
  TARGET_ARGS=(--socket="$BENCH_TMP/baseline.sock" --fake-jobs)
else
  start_hub
  TARGET_ARGS=(--socket="$HUB_SOCKET" --api="$HUB_API" --admin-token="$HUB_ADMIN_TOKEN" --enqueue=1000)
fi
run_tool FleetSimulator "${TARGET_ARGS[@]}" --crawlers=50 --jobs-per-crawler=20 --progress-per-job=50 \
  --duration-s=60 "$@"
if [ "$TARGET" != baseline ]; then
  echo "--- hub job counts (GET /api/jobs?status=…&limit=500, capped at 500 per status) ---"
  for st in queued assigned running completed failed dead; do
    printf "%-10s %s\n" "$st" "$(curl -s -m 10 -H "Authorization: Bearer $HUB_ADMIN_TOKEN" \
      "$HUB_API/api/jobs?status=$st&limit=500" | python3 -c 'import json,sys
try: print(len(json.load(sys.stdin).get("jobs", [])))
except Exception: print("?")')"
  done
fi
