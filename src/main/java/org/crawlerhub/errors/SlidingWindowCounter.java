package org.crawlerhub.errors;

/**
 * Events in the last {@code windowMs}, kept in a ring of time buckets: O(1) to add, O(buckets)
 * to read, and the count slides in steps of one bucket.
 */
final class SlidingWindowCounter {
  private final long bucketMs;
  private final long[] counts;
  private final long[] slots;

  SlidingWindowCounter(long windowMs, int buckets) {
    this.bucketMs = Math.max(1, windowMs / buckets);
    this.counts = new long[buckets];
    this.slots = new long[buckets];
    java.util.Arrays.fill(slots, Long.MIN_VALUE);
  }

  void add(long nowMs) {
    long slot = Math.floorDiv(nowMs, bucketMs);
    int i = (int) Math.floorMod(slot, (long) counts.length);
    if (slots[i] != slot) {
      slots[i] = slot;
      counts[i] = 0;
    }
    counts[i]++;
  }

  long count(long nowMs) {
    long slot = Math.floorDiv(nowMs, bucketMs);
    long oldest = slot - counts.length + 1;
    long sum = 0;
    for (int i = 0; i < counts.length; i++) {
      if (slots[i] >= oldest && slots[i] <= slot) {
        sum += counts[i];
      }
    }
    return sum;
  }
}
