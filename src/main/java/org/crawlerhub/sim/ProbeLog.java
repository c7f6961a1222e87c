package org.crawlerhub.sim;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Every measured probe of a latency run, for analysis after it (bench/probe-stalls.py): when the
 * probe was written and its round trip, both {@code System.nanoTime()}. On Linux that is
 * CLOCK_MONOTONIC, the same clock in every process of the host, so the send times line up with a
 * server's own {@code -Xlog:gc:file=…:timenanos} log: which slow probes overlapped a collection,
 * and whether they come alone or all at once (the whole server stalled).
 */
final class ProbeLog {
  private long[] sent = new long[4096];
  private long[] rtt = new long[4096];
  private int size;

  synchronized void add(long sentAtNanos, long rttNanos) {
    if (size == sent.length) {
      sent = Arrays.copyOf(sent, size * 2);
      rtt = Arrays.copyOf(rtt, size * 2);
    }
    sent[size] = sentAtNanos;
    rtt[size] = rttNanos;
    size++;
  }

  synchronized int size() {
    return size;
  }

  /** One line per probe, in the order answered: {@code <sent nanos> <round trip nanos>}. */
  synchronized void write(Path file) throws IOException {
    try (Writer out = Files.newBufferedWriter(file, StandardCharsets.US_ASCII)) {
      for (int i = 0; i < size; i++) {
        out.write(sent[i] + " " + rtt[i] + "\n");
      }
    }
  }
}
