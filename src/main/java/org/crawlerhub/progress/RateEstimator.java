package org.crawlerhub.progress;

/**
 * Items/s of one job, exponentially weighted over irregular samples: each sample's instantaneous
 * rate is blended in with weight {@code 1 - exp(-dt / window)}, so the estimate does not depend on
 * how often a crawler reports. Samples closer than {@code minSampleMs} are folded into the next
 * one (many reports per millisecond would otherwise divide by zero). When {@code processed} goes
 * down (the crawler restarted its paging) the baseline moves and the estimate is kept. A job that
 * stops reporting decays towards zero after one window, so a stalled job's ETA grows.
 */
final class RateEstimator {
  private final double windowMs;
  private final long minSampleMs;
  private double rate = Double.NaN;
  private long baseAt = Long.MIN_VALUE;
  private long baseProcessed;
  private long lastSampleAt = Long.MIN_VALUE;

  RateEstimator(long windowMs) {
    this.windowMs = Math.max(1, windowMs);
    this.minSampleMs = Math.max(1, Math.min(1000, windowMs / 10));
  }

  void reset() {
    rate = Double.NaN;
    baseAt = Long.MIN_VALUE;
    lastSampleAt = Long.MIN_VALUE;
  }

  void observe(long processed, long nowMs) {
    if (baseAt == Long.MIN_VALUE) {
      baseAt = nowMs;
      baseProcessed = processed;
      lastSampleAt = nowMs;
      return;
    }
    if (processed < baseProcessed) {
      baseAt = nowMs;
      baseProcessed = processed;
      return;
    }
    long dt = nowMs - baseAt;
    if (dt < minSampleMs) {
      return;
    }
    double instant = (processed - baseProcessed) * 1000.0 / dt;
    if (Double.isNaN(rate)) {
      rate = instant;
    } else {
      rate += (1 - Math.exp(-dt / windowMs)) * (instant - rate);
    }
    baseAt = nowMs;
    baseProcessed = processed;
    lastSampleAt = nowMs;
  }

  /** Items/s as of {@code nowMs}, or NaN while unknown (fewer than two samples). */
  double rate(long nowMs) {
    if (Double.isNaN(rate)) {
      return Double.NaN;
    }
    long idle = nowMs - lastSampleAt;
    if (idle <= windowMs) {
      return rate;
    }
    return rate * Math.exp(-(idle - windowMs) / windowMs);
  }
}
