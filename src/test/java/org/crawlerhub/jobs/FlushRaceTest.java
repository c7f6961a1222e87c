package org.crawlerhub.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.crawlerhub.jobs.JobsHarness.spec;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A progress flush under way when its crawler disconnects must not undo the disconnect's lease cut. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FlushRaceTest extends JobsBehindProxyTest {
  @Test
  @DisplayName("a crawler that disconnects while a flush of its progress is under way still loses its lease leaseGrace later")
  void flushInFlightDoesNotExtendAGoneCrawlersLease() throws Exception {
    // GIVEN the jobs service behind a proxy (leases: heartbeatTimeout 20 s + leaseGrace 3 s), and
    // crawler-1 running a job
    startBehindProxy(c -> c.put("heartbeatTimeout", 20_000).put("leaseGrace", 3000));
    String id = hub.enqueue(spec("f/one", 1)).get(0);
    hub.crawlerEvent("connected", "crawler-1");
    hub.request("crawler-1", 1);
    hub.command("crawler-1", "job_started", id, new JsonObject());

    // WHEN its progress is being flushed (the flush held back 1 s on its way, so it lands after the
    // disconnect cut the lease, with the lease still running) and it disconnects meanwhile
    proxy.delayAnswersTo("AS u(id, progress, resume_state, at, attempt, owner, extend_ms)", 1000);
    hub.command("crawler-1", "job_progress", id, JobsHarness.progress(5, 10));
    await().atMost(Duration.ofSeconds(5)).until(proxy::fired);
    long disconnectedAt = System.nanoTime();
    hub.crawlerEvent("disconnected", "crawler-1");

    // THEN the job is requeued about leaseGrace after the flush landed, not ~21 s later
    await().atMost(Duration.ofSeconds(9)).pollInterval(Duration.ofMillis(100))
        .until(() -> "queued".equals(hub.job(id).getString("status")));
    assertThat((System.nanoTime() - disconnectedAt) / 1_000_000).isGreaterThanOrEqualTo(2900L);
    assertThat(hub.eventsOf(id)).endsWith("running->queued@2");
    // AND the progress it sent was kept
    assertThat(hub.job(id).getJsonObject("progress").getLong("processed")).isEqualTo(5L);
  }
}
