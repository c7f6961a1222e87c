#!/usr/bin/env bash
# Ingest throughput: the hub vs the raw ceiling (BaselineServer), same client workload, alternating
# rounds in one run. Starts the baseline and the hub (target/crawler-hub.jar, embedded PostgreSQL,
# temp data dir), runs IngestBenchmark, stops both. Extra arguments go to IngestBenchmark, e.g.
#   bench/ingest.sh --rounds=5 --messages=1000000
# Environment: TARGETS=both|baseline|hub, BASELINE_INSTANCES=2, HUB_HTTP_PORT=18080, *_JAVA_OPTS.
# The last line printed is: ratio=<hub/baseline> hub_msgs_per_s=<n> baseline_msgs_per_s=<n> p99_ms=<n>
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
run_tool IngestBenchmark "${ARGS[@]}" "$@"
