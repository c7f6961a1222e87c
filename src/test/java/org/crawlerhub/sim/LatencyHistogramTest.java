package org.crawlerhub.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LatencyHistogramTest {

  @Test
  @DisplayName("Percentiles of 1..10000 are the true values within the 1/64 bucket resolution")
  void percentilesOfAKnownUniformSequence() {
    // GIVEN the values 1..10000 in shuffled order
    LatencyHistogram h = new LatencyHistogram();
    for (int i = 0; i < 10_000; i++) {
      h.record((i * 7919L) % 10_000 + 1);
    }
    // THEN every percentile is at or above the exact value and at most 1/64 above it
    assertThat(h.count()).isEqualTo(10_000);
    assertThat(h.min()).isEqualTo(1);
    assertThat(h.max()).isEqualTo(10_000);
    assertThat(h.mean()).isCloseTo(5000.5, within(1e-6));
    for (double p : new double[] {50, 90, 95, 99, 99.9}) {
      long exact = (long) Math.ceil(p / 100 * 10_000);
      assertThat(h.percentile(p)).as("p%s", p).isBetween(exact, exact + exact / 64);
    }
    assertThat(h.percentile(100)).isEqualTo(10_000);
  }

  @Test
  @DisplayName("Small values are exact and a single value is every percentile")
  void smallValuesAreExact() {
    // GIVEN 1..50 and a histogram holding a single large value
    LatencyHistogram small = new LatencyHistogram();
    for (int i = 1; i <= 50; i++) {
      small.record(i);
    }
    LatencyHistogram single = new LatencyHistogram();
    single.record(123_456_789L);
    // THEN values below 64 come back exactly, and a lone value is its own p0..p100
    assertThat(small.percentile(50)).isEqualTo(25);
    assertThat(small.percentile(99)).isEqualTo(50);
    assertThat(single.percentile(1)).isEqualTo(123_456_789L);
    assertThat(single.percentile(99)).isEqualTo(123_456_789L);
  }

  @Test
  @DisplayName("Merging two histograms gives the percentiles of the combined data")
  void mergingCombinesCounts() {
    // GIVEN 99 fast values on one loop and one slow outlier on another
    LatencyHistogram a = new LatencyHistogram();
    LatencyHistogram b = new LatencyHistogram();
    for (int i = 0; i < 99; i++) {
      a.record(1_000_000);
    }
    b.record(50_000_000);
    // WHEN they are merged
    LatencyHistogram all = new LatencyHistogram().add(a).add(b);
    // THEN p99 is still the fast value, max is the outlier, and an empty histogram answers 0
    assertThat(all.count()).isEqualTo(100);
    assertThat(all.percentile(99)).isBetween(1_000_000L, 1_000_000L + 1_000_000L / 64);
    assertThat(all.percentile(100)).isEqualTo(50_000_000L);
    assertThat(new LatencyHistogram().percentile(99)).isZero();
    assertThat(all.summaryMillis()).contains("p99=").contains("max=50.000ms").contains("n=100");
  }
}
