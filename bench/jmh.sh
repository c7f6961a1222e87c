#!/usr/bin/env bash
# JMH microbenchmarks of the protocol layer and the router (src/test/java/org/crawlerhub/bench).
# Arguments replace the defaults and go to org.openjdk.jmh.Main, e.g.
#   bench/jmh.sh                                  # everything, -f 1 -wi 2 -i 3 -w 2s -r 3s
#   bench/jmh.sh ProtocolBenchmark.decode -p type=job_progress
#   bench/jmh.sh -prof gc RouterBenchmark           # per message through a real router partition, with B/op
#   bench/jmh.sh -f 1 -wi 5 -i 5 -rf json -rff target/jmh.json
source "$(dirname "$0")/common.sh"
build_classpath
if [ $# -eq 0 ]; then
  set -- -f 1 -wi 2 -i 3 -w 2s -r 3s 'org.crawlerhub.bench.*'
fi
# shellcheck disable=SC2086
java $CLIENT_JAVA_OPTS -cp "$CLASSPATH_ALL" org.openjdk.jmh.Main "$@"
