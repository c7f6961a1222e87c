package org.crawlerhub.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.crawlerhub.jobs.JobsHarness.progress;
import static org.crawlerhub.jobs.JobsHarness.spec;

import io.micrometer.core.instrument.DistributionSummary;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.crawlerhub.metrics.HubMetrics;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The progress flush runs in phases: each statement writes one phase's jobs, each job at most once per interval. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ProgressFlushPhasesTest extends JobsHarnessTest {

  private static DistributionSummary progressBatches() {
    return HubMetrics.registry().find(HubMetrics.PERSISTENCE_BATCH_SIZE).tag("kind", "progress").summary();
  }

  @Test
  @DisplayName("with every job reporting all the time, a flush statement holds one phase's jobs and no job is written twice in an interval")
  void flushIsSpreadOverPhases() {
    // GIVEN 12 running jobs, 4 for each of 3 crawlers (the harness flushes every 100 ms, so a phase every 25 ms)
    hub.enqueue(java.util.stream.IntStream.range(0, 12).mapToObj(i -> spec("phase/" + i, 1)).toArray(JsonObject[]::new));
    List<String> ids = new ArrayList<>();
    java.util.Map<String, String> owner = new java.util.HashMap<>();
    for (String crawler : List.of("c0", "c1", "c2")) {
      for (Object o : hub.request(crawler, 4)) {
        String id = ((JsonObject) o).getString("id");
        ids.add(id);
        owner.put(id, crawler);
        hub.command(crawler, "job_started", id, new JsonObject());
      }
    }
    assertThat(ids).hasSize(12);
    int[] perPhase = new int[JobsVerticle.FLUSH_PHASES];
    ids.forEach(id -> perPhase[Math.floorMod(id.hashCode(), JobsVerticle.FLUSH_PHASES)]++);
    int largestPhase = java.util.Arrays.stream(perPhase).max().orElseThrow();
    // WHEN the crawler reports progress on every job, round after round, for at least 1.5 s
    DistributionSummary before = progressBatches();
    long countBefore = before == null ? 0 : before.count();
    double rowsBefore = before == null ? 0 : before.totalAmount();
    long started = System.nanoTime();
    AtomicInteger round = new AtomicInteger();
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5)).until(() -> {
      int r = round.incrementAndGet();
      for (String id : ids) {
        hub.command(owner.get(id), "job_progress", id, progress(r, 1_000_000));
      }
      return System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(1_500);
    });
    long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    // THEN the last round is written
    await().atMost(Duration.ofSeconds(5)).until(() -> ids.stream()
        .allMatch(id -> hub.job(id).getJsonObject("progress") != null
            && hub.job(id).getJsonObject("progress").getInteger("processed") == round.get()));
    DistributionSummary after = progressBatches();
    long statements = after.count() - countBefore;
    double rows = after.totalAmount() - rowsBefore;
    // ... a statement held one phase's jobs on average, not the whole fleet (what the phases avoid)
    assertThat(rows / statements).isLessThanOrEqualTo(largestPhase);
    // ... and the rows written are at most one per job per interval (plus the interval still running)
    long intervals = elapsedMs / 100 + 2;
    assertThat(rows).isLessThanOrEqualTo(12.0 * intervals);
    assertThat(statements).isGreaterThan(intervals); // several statements per interval, not one
  }
}
