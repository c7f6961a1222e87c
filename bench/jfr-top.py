#!/usr/bin/env python3
"""Summarise JFR execution samples: busiest threads, innermost hub frame, top frames, inclusive frames.

  jfr print --stack-depth 40 --events jdk.ExecutionSample /tmp/hub.jfr | bench/jfr-top.py [N]

(`jfr print` shows only 5 frames per stack unless --stack-depth is given.)
"""
import collections
import re
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 25
events = sys.stdin.read().split('jdk.ExecutionSample {')[1:]
threads, hub, top, incl = (collections.Counter() for _ in range(4))
for e in events:
    m = re.search(r'sampledThread = "([^"]+)"', e)
    threads[m.group(1) if m else '?'] += 1
    frames = [f.split('(')[0] for f in re.findall(r'^\s+([\w.$<>/]+\(.*?\))\s+line:', e, re.M)]
    if not frames:
        continue
    top[frames[0]] += 1
    own = [f for f in frames if f.startswith('org.crawlerhub')]
    hub[own[0] if own else '(no hub frame)'] += 1
    for f in set(frames):
        incl[f] += 1
total = len(events) or 1
print(f'{len(events)} samples; threads: ' + ', '.join(f'{t} {c}' for t, c in threads.most_common(6)))
for title, counter in (('innermost hub frame', hub), ('top frame', top), ('inclusive', incl)):
    print(f'--- {title}')
    for k, v in counter.most_common(n):
        print(f'{v:6d} {100.0 * v / total:5.1f}%  {k}')
