package org.crawlerhub.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.crawlerhub.jobs.JobsHarness.get;
import static org.crawlerhub.jobs.JobsHarness.progress;
import static org.crawlerhub.jobs.JobsHarness.spec;

import io.micrometer.core.instrument.DistributionSummary;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.metrics.HubMetrics;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The progress flush skips rows another transaction holds (it never waits for them) and loses nothing by it. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ProgressFlushBusyTest extends JobsHarnessTest {
  /** Progress flushes completed so far in this JVM (the hub's batch metric). */
  private static long progressFlushes() {
    DistributionSummary s = HubMetrics.registry().find(HubMetrics.PERSISTENCE_BATCH_SIZE).tag("kind", "progress")
        .summary();
    return s == null ? 0 : s.count();
  }

  @Test
  @DisplayName("progress of a job whose row another transaction holds is written by a later flush once it is free")
  void busyRowIsWrittenLater() {
    // GIVEN a running job whose row another session holds in an open transaction
    String id = hub.enqueue(spec("busy/one", 1)).get(0);
    assertThat(hub.request("c", 1)).hasSize(1);
    hub.command("c", "job_started", id, new JsonObject());
    SqlConnection other = get(hub.pool.getConnection());
    try {
      get(other.query("BEGIN").execute());
      get(other.query("UPDATE jobs SET updated_at = now() WHERE id = '" + id + "'").execute());

      // WHEN the crawler reports progress and two flushes (every 100 ms) complete
      long flushes = progressFlushes();
      hub.command("c", "job_progress", id, progress(42, 100));
      await().atMost(Duration.ofSeconds(10)).until(() -> progressFlushes() >= flushes + 2);

      // THEN nothing is written while the row is held (and the flushes did not wait: see below)
      assertThat(hub.job(id).getJsonObject("progress")).isNull();
      get(other.query("COMMIT").execute());
    } finally {
      other.close();
    }

    // AND once it is free, a later flush writes the progress without any new message
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      JsonObject written = hub.job(id).getJsonObject("progress");
      assertThat(written).isNotNull();
      assertThat(written.getInteger("processed")).isEqualTo(42);
    });
    // AND the lifecycle path was never held up by a waiting flush
    JsonObject done = hub.command("c", "job_completed", id, new JsonObject().put("success", true));
    assertThat(done.getJsonArray("frames")).isEmpty();
    assertThat(hub.job(id).getString("status")).isEqualTo("completed");
  }
}
