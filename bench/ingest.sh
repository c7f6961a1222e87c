#!/usr/bin/env bash
# Ingest throughput: the hub vs the raw ceiling (BaselineServer), same client workload, alternating
# rounds in one run. Starts the baseline and the hub (target/crawler-hub.jar, embedded PostgreSQL,
# temp data dir), runs IngestBenchmark, stops both. Extra arguments go to IngestBenchmark, e.g.
#   bench/ingest.sh --rounds=5 --messages=1000000
# Environment: TARGETS=both|baseline|hub, BASELINE_INSTANCES=2, HUB_HTTP_PORT=18080, *_JAVA_OPTS.
# The last line printed is: ratio=<hub/baseline> hub_msgs_per_s=<n> baseline_msgs_per_s=<n> p99_ms=<n>
source "$(dirname "$0")/common.sh"

compare_targets IngestBenchmark "$@"
