package org.crawlerhub.progress;

import java.time.Clock;

/**
 * Tuning of the progress aggregator that {@code HubConfig} does not carry.
 *
 * @param clock business clock for rates, ETAs, elapsed times and timestamps (tests inject one)
 * @param rateWindowMs time constant of the exponentially weighted items/s
 * @param partialIntervalMs how often each partition publishes its partial summary (and the
 *     aggregate is merged and published when it changed)
 * @param partitionTtlMs a partition not heard from for this long leaves the aggregate
 * @param terminalRetentionMs how long finished jobs stay answerable from memory
 */
public record ProgressOptions(Clock clock, long rateWindowMs, long partialIntervalMs,
    long partitionTtlMs, long terminalRetentionMs) {

  public static ProgressOptions defaults() {
    return new ProgressOptions(Clock.systemUTC(), 10_000, 500, 5_000, 10 * 60_000);
  }

  public ProgressOptions withClock(Clock c) {
    return new ProgressOptions(c, rateWindowMs, partialIntervalMs, partitionTtlMs, terminalRetentionMs);
  }

  public ProgressOptions withRateWindowMs(long ms) {
    return new ProgressOptions(clock, ms, partialIntervalMs, partitionTtlMs, terminalRetentionMs);
  }

  public ProgressOptions withPartitionTtlMs(long ms) {
    return new ProgressOptions(clock, rateWindowMs, partialIntervalMs, ms, terminalRetentionMs);
  }

  public ProgressOptions withPartialIntervalMs(long ms) {
    return new ProgressOptions(clock, rateWindowMs, ms, partitionTtlMs, terminalRetentionMs);
  }
}
