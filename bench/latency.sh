#!/usr/bin/env bash
# Processing latency at a fixed offered load (see LatencyBenchmark), two measures in one run: one-way,
# a job_progress leaving the client to its hub.progress.job.<id> publish (the hub runs as
# org.crawlerhub.sim.ProbedHub, the baseline with --probe-file; common.sh sets that up), and the
# job_progress -> barrier reply round trip. Starts the baseline and the hub like ingest.sh. Extra
# arguments go to LatencyBenchmark, e.g.  bench/latency.sh --rate=50000 --duration-s=60
source "$(dirname "$0")/common.sh"

compare_targets LatencyBenchmark "$@"
