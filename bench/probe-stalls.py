#!/usr/bin/env python3
"""Where the slow probes of a latency run come from: alone, or all at once (the server stalled)?

  bench/latency.sh --rate=120000 --duration-s=20 --warmup-s=15 --probe-log=/tmp/probes
  bench/probe-stalls.py /tmp/probes.hub [GC_LOG] [--slow-ms=2]

The probe log has one line per measured probe: its send time and round trip (System.nanoTime()).
GC_LOG is the server's `-Xlog:gc:file=GC_LOG:timenanos` (HUB_JAVA_OPTS): the same clock on Linux,
so each young pause can be laid over the probes. A stall window is a 5 ms slice in which more than
80 % of the probes sent were slow.
"""
import collections
import re
import sys

args = [a for a in sys.argv[1:] if not a.startswith('--')]
slow_ms = float(next((a.split('=')[1] for a in sys.argv[1:] if a.startswith('--slow-ms=')), 2))
if not args:
    sys.exit(__doc__)
probes = sorted(tuple(map(int, line.split()[:2])) for line in open(args[0]) if line.strip())
if not probes:
    sys.exit('no probes in ' + args[0])
t0, t1 = probes[0][0], probes[-1][0]
rtts = sorted(p[1] for p in probes)
n = len(rtts)
print(f'{n} probes over {(t1 - t0) / 1e9:.1f} s: p50 {rtts[n // 2] / 1e6:.3f} ms, '
      f'p99 {rtts[int(n * 0.99)] / 1e6:.3f} ms, max {rtts[-1] / 1e6:.3f} ms')
slow = [p for p in probes if p[1] > slow_ms * 1e6]
print(f'slow (> {slow_ms:g} ms): {len(slow)} ({100.0 * len(slow) / n:.2f} %)')

width = 5_000_000
all_by = collections.Counter((p[0] - t0) // width for p in probes)
slow_by = collections.Counter((p[0] - t0) // width for p in slow)
stalls = sorted(k for k, v in slow_by.items() if all_by[k] > 20 and v > 0.8 * all_by[k])
in_stalls = sum(slow_by[k] for k in stalls)
print(f'stall windows (5 ms, > 80 % of probes slow): {len(stalls)}, holding {in_stalls} of the slow probes')

if len(args) > 1:
    pauses = []
    for line in open(args[1]):
        m = re.match(r'\[(\d+)ns\].*Pause.* ([\d.]+)ms$', line.strip())
        if m:  # the line is logged as the pause ends
            end = int(m.group(1))
            pauses.append((end - float(m.group(2)) * 1e6, end))
    pauses = [p for p in pauses if p[1] > t0 and p[0] < t1]
    total = sum(e - s for s, e in pauses) / 1e6
    hit = sum(1 for s, rtt in slow if any(s <= pe + 2e6 and s + rtt >= ps for ps, pe in pauses))
    print(f'GC pauses in the window: {len(pauses)} ({total:.1f} ms); slow probes in flight during one '
          f'(or up to 2 ms after): {hit}')
