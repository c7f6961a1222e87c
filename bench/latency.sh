#!/usr/bin/env bash
# Processing latency at a fixed offered load: job_progress -> barrier reply round trip (see
# LatencyBenchmark). Starts the baseline and the hub like ingest.sh. Extra arguments go to
# LatencyBenchmark, e.g.  bench/latency.sh --rate=50000 --duration-s=60
source "$(dirname "$0")/common.sh"

compare_targets LatencyBenchmark "$@"
