package org.crawlerhub.sim;

import java.util.Arrays;
import java.util.Locale;

/**
 * A small log-bucket histogram of non-negative long values (nanoseconds here), in the spirit of
 * HdrHistogram (not on the classpath): values below 64 are exact, larger ones fall into one of 64
 * linear sub-buckets per power of two, so a reported percentile is at most 1/64 (1.6 %) above the
 * true value. Fixed memory (about 30 KiB), O(1) record, no allocation. Not thread-safe: keep one
 * per event loop and {@link #add} them at the end.
 */
public final class LatencyHistogram {
  private static final int SUB_BITS = 6;
  private static final int SUB = 1 << SUB_BITS;
  private static final int BUCKETS = SUB + (63 - SUB_BITS) * SUB;

  private final long[] counts = new long[BUCKETS];
  private long count;
  private long min = Long.MAX_VALUE;
  private long max;
  private double sum;

  public void record(long value) {
    long v = Math.max(0, value);
    counts[indexOf(v)]++;
    count++;
    sum += v;
    if (v < min) {
      min = v;
    }
    if (v > max) {
      max = v;
    }
  }

  static int indexOf(long v) {
    if (v < SUB) {
      return (int) v;
    }
    int exp = 63 - Long.numberOfLeadingZeros(v);
    int shift = exp - SUB_BITS;
    int mantissa = (int) (v >>> shift) - SUB;
    return SUB + shift * SUB + mantissa;
  }

  /** The highest value that falls into bucket {@code index}. */
  static long highestInBucket(int index) {
    if (index < SUB) {
      return index;
    }
    int shift = (index - SUB) / SUB;
    long mantissa = (index - SUB) % SUB + SUB;
    return ((mantissa + 1) << shift) - 1;
  }

  /** Merges another histogram into this one. */
  public LatencyHistogram add(LatencyHistogram other) {
    for (int i = 0; i < BUCKETS; i++) {
      counts[i] += other.counts[i];
    }
    count += other.count;
    sum += other.sum;
    min = Math.min(min, other.min);
    max = Math.max(max, other.max);
    return this;
  }

  public void reset() {
    Arrays.fill(counts, 0);
    count = 0;
    sum = 0;
    min = Long.MAX_VALUE;
    max = 0;
  }

  public long count() {
    return count;
  }

  public long min() {
    return count == 0 ? 0 : min;
  }

  public long max() {
    return max;
  }

  public double mean() {
    return count == 0 ? 0 : sum / count;
  }

  /**
   * The value at {@code percentile} (0..100): the smallest recorded value such that at least that
   * share of all values is at or below it, rounded up to its bucket's upper bound (never above the
   * recorded maximum). 0 when empty.
   */
  public long percentile(double percentile) {
    if (count == 0) {
      return 0;
    }
    long rank = Math.max(1, (long) Math.ceil(percentile / 100.0 * count));
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return Math.max(min, Math.min(max, highestInBucket(i)));
      }
    }
    return max;
  }

  /** {@code p50=1.23ms p95=… p99=… max=… (n=…)} with nanosecond values shown as milliseconds. */
  public String summaryMillis() {
    return String.format(Locale.ROOT, "p50=%s p95=%s p99=%s max=%s mean=%s (n=%d)",
        millis(percentile(50)), millis(percentile(95)), millis(percentile(99)), millis(max()),
        millis((long) mean()), count);
  }

  public static String millis(long nanos) {
    return String.format(Locale.ROOT, "%.3fms", nanos / 1e6);
  }
}
