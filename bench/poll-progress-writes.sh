#!/usr/bin/env bash
# Polls the hub's /metrics every 2 s (while a bench runs) for the progress flush meters:
# hub_persistence_batch_size_count{kind="progress"} = flush statements, _sum = rows written.
#   bench/poll-progress-writes.sh /tmp/progress-writes.txt &   # then run bench/ingest.sh; kill it after
# Rows per job per flush interval = (sum delta / seconds) / jobs * progressFlushInterval.
# Uses the bench defaults: HTTP_PORT 18080, admin token bench-admin-token.
out=$1; : > "$out"
api=${HUB_API:-http://127.0.0.1:18080}; token=${HUB_ADMIN_TOKEN:-bench-admin-token}
while true; do
  r=$(curl -s -m 2 -H "Authorization: Bearer $token" "$api/metrics" 2>/dev/null | grep -E '^hub_persistence_batch_size_(count|sum)\{kind="progress"|^hub_router_messages_total\{.*job_progress.*accepted')
  [ -n "$r" ] && { echo "T $(date +%s.%N)"; echo "$r"; } >> "$out"
  sleep 2
done
