package org.crawlerhub.sim;

import java.util.Locale;
import java.util.Map;

/**
 * One measured round: {@code messages} job_progress lines, all acknowledged by a final barrier
 * per connection, in {@code nanos} (first write to last barrier reply). {@code oneWaySent}
 * one-way probes ({@link OneWayProbes}) were sent at or after {@code measuredFromNanos} (the end
 * of the warm-up; {@code System.nanoTime()}).
 */
public record BenchRound(
    String target,
    int round,
    long messages,
    long nanos,
    LatencyHistogram probeLatency,
    LatencyHistogram barrierLatency,
    Map<String, Long> errorsByCode,
    long oneWaySent,
    long measuredFromNanos) {

  public double msgsPerSecond() {
    return messages / Math.max(1e-9, nanos / 1e9);
  }

  public String format() {
    return String.format(Locale.ROOT,
        "round %d %-8s %,d msgs in %.3f s = %,.0f msg/s | probe RTT %s | final barrier RTT max %s | errors %s",
        round, target, messages, nanos / 1e9, msgsPerSecond(), probeLatency.summaryMillis(),
        LatencyHistogram.millis(barrierLatency.max()), errorsByCode.isEmpty() ? "none" : errorsByCode);
  }
}
