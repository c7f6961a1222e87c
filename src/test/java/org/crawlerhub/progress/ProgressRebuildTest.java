package org.crawlerhub.progress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProgressRebuildTest {
  private Vertx vertx;
  private ProgressBus bus;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    bus = new ProgressBus(vertx);
  }

  @AfterEach
  void tearDown() {
    ProgressBus.sync(vertx.close());
  }

  @Test
  @DisplayName("after a restart the aggregator rebuilds counts and open jobs' progress from the jobs table")
  void rebuildsFromJobsRows() {
    // GIVEN jobs rows left by a previous run: one running at 60 %, others in every status
    String url = TestDatabase.freshDatabase();
    TestDatabase.exec(url, "INSERT INTO jobs (id, status, entity_type, entity_id, attempt, lease_owner, progress, "
        + "resume_state, started_at) VALUES "
        + "('run-1','running','issue','g/p1',2,'crawler-a',"
        + "'{\"stage\":\"fetching\",\"entityType\":\"issue\",\"processed\":600,\"total\":1000,"
        + "\"itemCounts\":{\"issue\":600}}','{\"currentPage\":7}', now() - interval '30 seconds'),"
        + "('queued-1','queued','project','g/p2',1,null,null,null,null),"
        + "('assigned-1','assigned','project','g/p3',1,'crawler-b',null,null,null),"
        + "('done-1','completed','project','g/p4',1,null,null,null,null),"
        + "('failed-1','failed','project','g/p5',1,null,null,null,null),"
        + "('dead-1','dead','project','g/p6',4,null,null,null,null),"
        + "('cancelled-1','cancelled','project','g/p7',1,null,null,null,null)");
    MutableClock clock = new MutableClock(Instant.now());
    List<JsonObject> milestones = bus.collect(Addresses.PROGRESS_MILESTONES);
    // WHEN two progress partitions start
    HubConfig cfg = ProgressBus.config("node-r", url, 50);
    ProgressOptions opts = ProgressOptions.defaults().withClock(clock).withPartialIntervalMs(100);
    ProgressBus.sync(vertx.deployVerticle(new ProgressVerticle(cfg, 0, 2, opts)));
    ProgressBus.sync(vertx.deployVerticle(new ProgressVerticle(cfg, 1, 2, opts)));
    // THEN the counts come from the table
    await().untilAsserted(() -> {
      JsonObject a = bus.aggregate();
      assertThat(a.getLong("totalJobs")).isEqualTo(7L);
      assertThat(a.getLong("queuedJobs")).isEqualTo(1L);
      assertThat(a.getLong("activeJobs")).isEqualTo(2L);
      assertThat(a.getLong("completedJobs")).isEqualTo(1L);
      assertThat(a.getLong("failedJobs")).isEqualTo(1L);
      assertThat(a.getLong("deadJobs")).isEqualTo(1L);
      assertThat(a.getLong("cancelledJobs")).isEqualTo(1L);
    });
    // AND the running job's progress is back, with the milestones it had already passed
    JsonObject p = bus.job("run-1");
    assertThat(p.getLong("processed")).isEqualTo(600L);
    assertThat(p.getDouble("completion")).isCloseTo(0.6, within(1e-9));
    assertThat(p.getInteger("attempt")).isEqualTo(2);
    assertThat(p.getString("crawlerId")).isEqualTo("crawler-a");
    assertThat(p.getJsonObject("resumeState").getInteger("currentPage")).isEqualTo(7);
    assertThat(p.getLong("elapsedMs")).isGreaterThanOrEqualTo(29_000L);
    assertThat(p.getJsonArray("milestones")).hasSize(2);

    // WHEN late copies of transitions the table already shows arrive (they raced the snapshot)
    bus.jobEvent("run-1", "assigned", "running", 2, "crawler-a", null);
    bus.jobEvent("assigned-1", "queued", "assigned", 1, "crawler-b", null);
    bus.jobEvent("done-1", "running", "completed", 1, "crawler-b", null);
    // THEN the counts do not move for them (checked together with the next step's counts)

    // WHEN the crawler carries on to 80 % and a queued job is claimed
    clock.advance(Duration.ofSeconds(1));
    bus.progress("crawler-a", "run-1", clock.instant(), 800, 1000L);
    bus.jobEvent("queued-1", "queued", "assigned", 1, "crawler-b", null);
    // THEN only the 75 % milestone is new, and the counts follow the transition
    await().until(() -> bus.job("run-1").getLong("processed") == 800);
    await().until(() -> milestones.size() == 1);
    assertThat(milestones.get(0).getInteger("milestone")).isEqualTo(75);
    assertThat(milestones.get(0).getInteger("attempt")).isEqualTo(2);
    await().untilAsserted(() -> {
      JsonObject a = bus.aggregate();
      assertThat(a.getLong("queuedJobs")).isZero();
      assertThat(a.getLong("activeJobs")).isEqualTo(3L);
      assertThat(a.getLong("completedJobs")).isEqualTo(1L);
      assertThat(a.getLong("totalJobs")).isEqualTo(7L);
    });
  }
}
