package org.crawlerhub.progress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.protocol.IsoInstants;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RateAndTimeTest {

  @Test
  @DisplayName("crawler timestamps parse to the same instant as Instant.parse, fast path or not")
  void timestampsParse() {
    // GIVEN timestamps in the forms crawlers send
    for (String s : List.of("2025-07-30T10:15:01.180Z", "2025-07-30T10:15:01Z", "2024-02-29T23:59:59.999999Z",
        "1999-12-31T00:00:00.1Z", "2025-07-30T12:15:01.180+02:00")) {
      // WHEN parsed THEN the result equals java.time's
      assertThat(IsoInstants.toEpochMillis(s)).as(s).isEqualTo(Instant.parse(s).toEpochMilli());
    }
    assertThat(IsoInstants.toEpochMillis("yesterday")).isEqualTo(IsoInstants.UNKNOWN);
    assertThat(IsoInstants.toEpochMillis(null)).isEqualTo(IsoInstants.UNKNOWN);
  }

  @Test
  @DisplayName("the rate follows a change of pace smoothly and ignores a restart of paging")
  void rateIsSmoothedAndRestartSafe() {
    // GIVEN a 10 s window and a steady 100 items/s
    RateEstimator r = new RateEstimator(10_000);
    long t = 0;
    long processed = 0;
    for (int i = 0; i <= 10; i++, t += 1000, processed += 100) {
      r.observe(processed, t);
    }
    assertThat(r.rate(t - 1000)).isCloseTo(100.0, within(1e-9));
    // WHEN the crawler restarts its paging (processed drops) and carries on at the same pace
    processed = 0;
    for (int i = 0; i <= 3; i++, t += 1000, processed += 100) {
      r.observe(processed, t);
    }
    // THEN the rate never goes negative and stays at the pace
    assertThat(r.rate(t - 1000)).isCloseTo(100.0, within(1e-9));
    // WHEN the pace doubles for one second THEN the estimate moves only part of the way
    r.observe(processed + 100, t);
    assertThat(r.rate(t)).isBetween(100.0, 200.0);
    // WHEN the job goes silent for long THEN the rate decays towards zero
    assertThat(r.rate(t + 60_000)).isLessThan(1.0);
  }

  @Test
  @DisplayName("many reports within one millisecond do not divide by zero")
  void burstsWithinAMillisecond() {
    RateEstimator r = new RateEstimator(10_000);
    for (int i = 0; i < 1000; i++) {
      r.observe(i, 5);
    }
    assertThat(r.rate(5)).isNaN();
    r.observe(2000, 1005);
    assertThat(r.rate(1005)).isCloseTo(2000.0, within(1e-9));
  }
}
