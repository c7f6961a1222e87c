#!/usr/bin/env bash
# Processing latency at a fixed offered load: job_progress -> barrier reply round trip (see
# LatencyBenchmark). Starts the baseline and the hub like ingest.sh. Extra arguments go to
# LatencyBenchmark, e.g.  bench/latency.sh --rate=50000 --duration-s=60
source "$(dirname "$0")/common.sh"

TARGETS=${TARGETS:-both}
machine_info >&2
build_classpath

ARGS=()
if [ "$TARGETS" != hub ]; then
  start_baseline "$BENCH_TMP/baseline.sock" "${BASELINE_INSTANCES:-2}"
  ARGS+=(--baseline-socket="$BENCH_TMP/baseline.sock")
fi
if [ "$TARGETS" != baseline ]; then
  start_hub
  ARGS+=(--hub-socket="$HUB_SOCKET" --api="$HUB_API" --admin-token="$HUB_ADMIN_TOKEN")
fi
run_tool LatencyBenchmark "${ARGS[@]}" "$@"
