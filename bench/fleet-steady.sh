#!/usr/bin/env bash
# bench/fleet.sh with the hub's own job_request histogram (hub_job_request_seconds) split into the
# warm-up and the steady state: /metrics is read WARMUP_S seconds after the jobs are enqueued and
# again just before the simulator ends; the difference of the buckets is the steady state.
# Percentiles are bucket upper bounds. Arguments go to bench/fleet.sh.
#   WARMUP_S=8 bench/fleet-steady.sh --rate=20
#   WARMUP_S=8 bench/fleet-steady.sh --enqueue=10000 --jobs-per-crawler=200
set -euo pipefail
cd "$(dirname "$0")/.."
WARMUP_S=${WARMUP_S:-8}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bench/fleet.sh "$@" > "$tmp/fleet.out" 2>&1 &
fleet=$!
until grep -q '^enqueued' "$tmp/fleet.out" 2>/dev/null; do
  kill -0 "$fleet" 2>/dev/null || { cat "$tmp/fleet.out"; exit 1; }
  sleep 0.2
done
api=$(grep -o 'http://127.0.0.1:[0-9]*' "$tmp/fleet.out" | head -1)
sleep "$WARMUP_S"
curl -sf "$api/metrics" > "$tmp/warm.txt"
while ! grep -q '^=== fleet simulator summary' "$tmp/fleet.out"; do
  curl -sf "$api/metrics" > "$tmp/next.txt" && mv "$tmp/next.txt" "$tmp/end.txt"
  kill -0 "$fleet" 2>/dev/null || break
  sleep 0.5
done
wait "$fleet" || true
cat "$tmp/fleet.out"
python3 - "$tmp/warm.txt" "$tmp/end.txt" "$WARMUP_S" <<'PY'
import re, sys
def buckets(path):
    text = open(path).read()
    return {m.group(1): float(m.group(2)) for m in
            re.finditer(r'^hub_job_request_seconds_bucket\{le="([^"]+)"\} (\S+)', text, re.M)}
warm, end, skip = buckets(sys.argv[1]), buckets(sys.argv[2]), sys.argv[3]
rows = sorted((float('inf') if k == '+Inf' else float(k), warm.get(k, 0.0), end[k] - warm.get(k, 0.0)) for k in end)
for label, col in ((f"first {skip} s", 1), (f"after {skip} s", 2)):
    n = rows[-1][col]
    out = []
    for q in (0.5, 0.95, 0.99):
        le = next(r[0] for r in rows if r[col] >= q * n)
        out.append(f"p{round(q * 100)}<={le * 1000:.1f}ms")
    print(f"hub job_request ({label}): n={int(n)} " + " ".join(out))
PY
