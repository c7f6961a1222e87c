package org.crawlerhub.progress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Timer;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.metrics.HubMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProgressVerticleTest {
  private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

  private Vertx vertx;
  private MutableClock clock;
  private ProgressBus bus;

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx(new VertxOptions().setMaxEventLoopExecuteTime(200).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS));
    clock = new MutableClock(T0);
    bus = new ProgressBus(vertx);
  }

  @AfterEach
  void tearDown() {
    ProgressBus.sync(vertx.close());
  }

  private void deploy(long publishIntervalMs) {
    ProgressBus.sync(vertx.deployVerticle(new ProgressVerticle(ProgressBus.config("node-a", null, publishIntervalMs), 0, 1,
        ProgressOptions.defaults().withClock(clock).withPartialIntervalMs(100))));
  }

  /** Publishes one progress report at the current clock time and waits until the aggregator shows it. */
  private void reportAndWait(String crawler, String jobId, long processed, long total) {
    bus.progress(crawler, jobId, clock.instant(), processed, total);
    await().atMost(Duration.ofSeconds(5))
        .until(() -> bus.job(jobId).getLong("processed") == processed);
  }

  @Test
  @DisplayName("a crawler doing 100 items/s with 1,000 items left gets an ETA of about 10 seconds")
  void etaIsRemainingItemsOverRate() {
    // GIVEN a running job of 2,000 items
    deploy(50);
    bus.startJob("job-eta", "crawler-1", 1);
    // WHEN the crawler reports 100 more items every second for 10 seconds
    for (int i = 0; i <= 10; i++) {
      reportAndWait("crawler-1", "job-eta", i * 100L, 2000);
      clock.advance(Duration.ofSeconds(1));
    }
    clock.advance(Duration.ofSeconds(-1));
    // THEN rate is 100 items/s, 1,000 items remain and the ETA is 10 s
    JsonObject p = bus.job("job-eta");
    assertThat(p.getDouble("rate")).isCloseTo(100.0, within(0.5));
    assertThat(p.getLong("etaMs")).isCloseTo(10_000L, within(100L));
    assertThat(p.getDouble("completion")).isCloseTo(0.5, within(1e-9));
    assertThat(p.getLong("elapsedMs")).isEqualTo(10_000L);
    assertThat(p.getString("crawlerId")).isEqualTo("crawler-1");
    assertThat(p.getJsonObject("entities").getLong("issue")).isEqualTo(1000L);
    assertThat(p.getString("stage")).isEqualTo("fetching");
    assertThat(p.getString("updatedAt")).isEqualTo(clock.instant().toString());
  }

  @Test
  @DisplayName("another node's job reports arrive as JSON and count; this node's own JSON copies are ignored")
  void remoteReportsAsJson() {
    // GIVEN a running job known to this node (node-a)
    deploy(50);
    bus.startJob("job-remote", "crawler-9", 1);
    reportAndWait("crawler-9", "job-remote", 10, 100);
    org.crawlerhub.protocol.JobReport later = org.crawlerhub.protocol.JobReport.of(
        org.crawlerhub.protocol.MessageType.JOB_PROGRESS, "job-remote", clock.millis() + 1000,
        new JsonObject().put("stage", "fetching").put("processed", 60).put("total", 100));
    org.crawlerhub.protocol.JobReport own = org.crawlerhub.protocol.JobReport.of(
        org.crawlerhub.protocol.MessageType.JOB_PROGRESS, "job-remote", clock.millis() + 2000,
        new JsonObject().put("stage", "fetching").put("processed", 99).put("total", 100));

    // WHEN node-a's own batch comes back over the cluster address (it already had it locally),
    // and then node-b's batch
    vertx.eventBus().publish(Addresses.JOB_REPORTS,
        new org.crawlerhub.protocol.JobReportBatch("node-a", "c9", "crawler-9", List.of(own)).toJson());
    vertx.eventBus().publish(Addresses.JOB_REPORTS,
        new org.crawlerhub.protocol.JobReportBatch("node-b", "c9", "crawler-9", List.of(later)).toJson());

    // THEN node-b's report counts and node-a's copy did not
    await().atMost(Duration.ofSeconds(5)).until(() -> bus.job("job-remote").getLong("processed") == 60);
    assertThat(bus.job("job-remote").getLong("processed")).isEqualTo(60L);
  }

  @Test
  @DisplayName("the ETA is absent while the total or the rate is unknown")
  void etaAbsentWhenUnknown() {
    // GIVEN a job whose crawler does not know the total
    deploy(50);
    bus.startJob("job-nototal", "crawler-1", 1);
    // WHEN it reports processed counts only
    bus.crawlerMessage("job_progress", "crawler-1", "job-nototal", clock.instant(),
        new JsonObject().put("stage", "discovering").put("entityType", "project").put("processed", 10));
    await().until(() -> bus.job("job-nototal").getLong("processed") == 10);
    clock.advance(Duration.ofSeconds(1));
    bus.crawlerMessage("job_progress", "crawler-1", "job-nototal", clock.instant(),
        new JsonObject().put("stage", "discovering").put("entityType", "project").put("processed", 20));
    // THEN there is a rate but no total, completion 0 and no ETA
    await().until(() -> bus.job("job-nototal").getLong("processed") == 20);
    JsonObject p = bus.job("job-nototal");
    assertThat(p.containsKey("total")).isFalse();
    assertThat(p.containsKey("etaMs")).isFalse();
    assertThat(p.getDouble("completion")).isZero();
    assertThat(p.getDouble("rate")).isCloseTo(10.0, within(0.01));
  }

  @Test
  @DisplayName("deployed as the hub deploys it, the aggregator keeps applying reports while every event loop is busy")
  void aggregatorDoesNotWaitForEventLoops() throws Exception {
    // GIVEN a partition deployed with the hub's options, a started job, and a milestone listener on a
    // worker context (so neither side needs an event loop to see the report applied)
    ProgressBus.sync(vertx.deployVerticle(new ProgressVerticle(ProgressBus.config("node-a", null, 50), 0, 1,
        ProgressOptions.defaults().withClock(clock).withPartialIntervalMs(100)), ProgressVerticle.deploymentOptions()));
    bus.startJob("job-busy", "crawler-1", 1);
    reportAndWait("crawler-1", "job-busy", 0, 100);
    CompletableFuture<JsonObject> milestone = new CompletableFuture<>();
    ProgressBus.sync(vertx.deployVerticle(new VerticleBase() {
      @Override
      public Future<?> start() {
        return vertx.eventBus().<JsonObject>consumer(Addresses.PROGRESS_MILESTONES, m -> milestone.complete(m.body()))
            .completion();
      }
    }, new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER)));
    // WHEN every event loop is held for 3 s and the crawler reports half the job meanwhile
    CountDownLatch held = new CountDownLatch(1);
    ((VertxInternal) vertx).nettyEventLoopGroup().forEach(loop -> loop.execute(() -> {
      try {
        held.await(3, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    clock.advance(Duration.ofSeconds(1));
    bus.progress("crawler-1", "job-busy", clock.instant(), 50, 100L);
    // THEN the milestone is announced within a second, while the loops are still held
    JsonObject m = milestone.get(1, TimeUnit.SECONDS);
    held.countDown();
    assertThat(m.getString("jobId")).isEqualTo("job-busy");
    assertThat(m.getInteger("milestone")).isEqualTo(25);
  }

  @Test
  @DisplayName("milestones 25/50/75/90/100 are announced once each despite duplicate and out-of-order reports")
  void milestonesOnceEach() {
    // GIVEN a running job and a listener on the milestone address
    deploy(50);
    List<JsonObject> milestones = bus.collect(Addresses.PROGRESS_MILESTONES);
    bus.startJob("job-ms", "crawler-2", 1);
    // WHEN the crawler reports 0..1000 of 1000, every report sent twice, and an old report replayed late
    Instant first = clock.instant();
    for (int processed = 0; processed <= 1000; processed += 50) {
      clock.advance(Duration.ofMillis(500));
      bus.progress("crawler-2", "job-ms", clock.instant(), processed, 1000L);
      bus.progress("crawler-2", "job-ms", clock.instant(), processed, 1000L);
      if (processed == 600) {
        bus.progress("crawler-2", "job-ms", first, 100, 1000L);
      }
    }
    bus.crawlerMessage("job_completed", "crawler-2", "job-ms", clock.instant(),
        new JsonObject().put("success", true).put("finalCounts", new JsonObject().put("issue", 1000)));
    bus.jobEvent("job-ms", "running", "completed", 1, "crawler-2", null);
    // THEN each milestone arrives exactly once, in order, for attempt 1
    await().until(() -> milestones.size() >= 5);
    await().during(Duration.ofMillis(300)).until(() -> milestones.size() == 5);
    assertThat(milestones).extracting(m -> m.getInteger("milestone")).containsExactly(25, 50, 75, 90, 100);
    assertThat(milestones).allSatisfy(m -> assertThat(m.getInteger("attempt")).isEqualTo(1));
    JsonObject p = bus.job("job-ms");
    assertThat(p.getString("stage")).isEqualTo("completed");
    assertThat(p.getDouble("completion")).isEqualTo(1.0);
    assertThat(p.getLong("etaMs")).isZero();
    assertThat(p.getJsonArray("milestones")).hasSize(5);
    assertThat(p.getJsonObject("finalCounts").getLong("issue")).isEqualTo(1000L);
  }

  @Test
  @DisplayName("an out-of-order report is ignored while a newer report with fewer items wins")
  void latestValueWins() {
    // GIVEN a job at 500 of 1000
    deploy(50);
    bus.startJob("job-order", "crawler-3", 1);
    reportAndWait("crawler-3", "job-order", 500, 1000);
    Instant older = clock.instant().minusSeconds(5);
    // WHEN a report older than the last one arrives
    bus.progress("crawler-3", "job-order", older, 900, 1000L);
    // THEN it changes nothing
    assertThat(bus.job("job-order").getLong("processed")).isEqualTo(500L);
    // WHEN the crawler restarts paging and reports fewer items with a newer timestamp
    clock.advance(Duration.ofSeconds(1));
    reportAndWait("crawler-3", "job-order", 200, 1000);
    // THEN the latest value wins and completion follows it down
    JsonObject p = bus.job("job-order");
    assertThat(p.getDouble("completion")).isCloseTo(0.2, within(1e-9));
    assertThat(p.containsKey("rate")).as("no negative rate from a restart").isFalse();
  }

  @Test
  @DisplayName("a job retried after a failure starts a new attempt whose milestones are announced again")
  void retryResetsMilestones() {
    // GIVEN a job that reached 60% and then failed
    deploy(50);
    List<JsonObject> milestones = bus.collect(Addresses.PROGRESS_MILESTONES);
    bus.startJob("job-retry", "crawler-4", 1);
    reportAndWait("crawler-4", "job-retry", 600, 1000);
    bus.crawlerMessage("job_failed", "crawler-4", "job-retry", clock.instant(),
        new JsonObject().put("error", "GitLab 502").put("isRecoverable", true));
    bus.jobEvent("job-retry", "running", "failed", 1, "crawler-4",
        new JsonObject().put("recoverable", true).put("error", "GitLab 502").put("errorType", "http"));
    await().until(() -> "failed".equals(bus.job("job-retry").getString("stage")));
    // WHEN it is requeued as attempt 2, picked up by another crawler, and runs to the end
    bus.jobEvent("job-retry", "failed", "queued", 2, null, null);
    bus.startJob("job-retry", "crawler-5", 2);
    await().until(() -> bus.job("job-retry").getInteger("attempt") == 2
        && "running".equals(bus.job("job-retry").getString("status")));
    clock.advance(Duration.ofSeconds(1));
    reportAndWait("crawler-5", "job-retry", 100, 1000);
    clock.advance(Duration.ofSeconds(1));
    reportAndWait("crawler-5", "job-retry", 1000, 1000);
    // THEN attempt 1 announced 25 and 50, attempt 2 announced all five
    await().until(() -> milestones.size() >= 7);
    assertThat(milestones).filteredOn(m -> m.getInteger("attempt") == 1)
        .extracting(m -> m.getInteger("milestone")).containsExactly(25, 50);
    assertThat(milestones).filteredOn(m -> m.getInteger("attempt") == 2)
        .extracting(m -> m.getInteger("milestone")).containsExactly(25, 50, 75, 90, 100);
    JsonObject p = bus.job("job-retry");
    assertThat(p.getString("crawlerId")).isEqualTo("crawler-5");
    assertThat(p.containsKey("error")).isFalse();
  }

  @Test
  @DisplayName("throttled publishing sends few updates per job and always delivers the last value")
  void throttlingDeliversLastValue() {
    // GIVEN a publish interval of 300 ms and listeners on the job address and the firehose
    deploy(300);
    bus.startJob("job-throttle", "crawler-6", 1);
    List<JsonObject> perJob = bus.collect(Addresses.jobProgress("job-throttle"));
    List<JsonObject> firehose = bus.collect(Addresses.PROGRESS_JOBS);
    // WHEN the crawler sends 200 reports in a burst
    vertx.runOnContext(v -> {
      for (int i = 1; i <= 200; i++) {
        bus.progress("crawler-6", "job-throttle", T0.plusMillis(i), i * 5L, 1000L);
      }
    });
    // THEN the last value (1000 of 1000) arrives on both addresses, after only a few publishes
    await().until(() -> !perJob.isEmpty() && perJob.get(perJob.size() - 1).getLong("processed") == 1000);
    await().until(() -> !firehose.isEmpty() && firehose.get(firehose.size() - 1).getLong("processed") == 1000);
    assertThat(perJob.size()).isLessThanOrEqualTo(4);
    assertThat(perJob.get(perJob.size() - 1).getString("jobId")).isEqualTo("job-throttle");
    Timer lag = HubMetrics.registry().find(HubMetrics.PROGRESS_PUBLISH_LAG).timer();
    assertThat(lag).isNotNull();
    assertThat(lag.count()).isPositive();
  }

  @Test
  @DisplayName("the fleet aggregate counts jobs by status, connected crawlers and combined throughput")
  void fleetAggregate() {
    // GIVEN an aggregator and a listener on the aggregate address
    deploy(50);
    List<JsonObject> published = bus.collect(Addresses.PROGRESS_AGGREGATE);
    // WHEN three crawlers connect (one leaves), five jobs are created and move through the lifecycle
    bus.crawlerEvent("connected", "c1");
    bus.crawlerEvent("connected", "c2");
    bus.crawlerEvent("connected", "c3");
    bus.crawlerEvent("disconnected", "c3");
    for (int i = 1; i <= 5; i++) {
      bus.jobEvent("j" + i, null, "queued", 1, null, null);
    }
    bus.jobEvent("j1", "queued", "assigned", 1, "c1", null);
    bus.jobEvent("j1", "assigned", "running", 1, "c1", null);
    bus.jobEvent("j2", "queued", "assigned", 1, "c2", null);
    bus.jobEvent("j2", "assigned", "running", 1, "c2", null);
    bus.jobEvent("j2", "running", "completed", 1, "c2", null);
    bus.jobEvent("j3", "queued", "assigned", 1, "c2", null);
    bus.jobEvent("j3", "assigned", "running", 1, "c2", null);
    bus.jobEvent("j3", "running", "failed", 1, "c2", new JsonObject().put("recoverable", false).put("error", "x"));
    bus.jobEvent("j3", "failed", "dead", 1, null, null);
    clock.advance(Duration.ofSeconds(1));
    reportAndWait("c1", "j1", 0, 1000);
    clock.advance(Duration.ofSeconds(1));
    reportAndWait("c1", "j1", 500, 1000);
    // THEN the aggregate (asked and published) shows them
    await().until(() -> bus.aggregate().getLong("completedJobs") == 1 && bus.aggregate().getDouble("combinedThroughput") > 0);
    JsonObject a = bus.aggregate();
    assertThat(a.getLong("totalJobs")).isEqualTo(5L);
    assertThat(a.getLong("queuedJobs")).isEqualTo(2L);
    assertThat(a.getLong("activeJobs")).isEqualTo(1L);
    assertThat(a.getLong("completedJobs")).isEqualTo(1L);
    assertThat(a.getLong("failedJobs")).isZero();
    assertThat(a.getLong("deadJobs")).isEqualTo(1L);
    assertThat(a.getInteger("connectedCrawlers")).isEqualTo(2);
    assertThat(a.getDouble("combinedThroughput")).isCloseTo(500.0, within(0.01));
    assertThat(a.getLong("estimatedTimeRemaining")).isEqualTo(1000L);
    // (completed 1 + dead 1 + active 0.5) / 5 jobs
    assertThat(a.getDouble("overallCompletion")).isCloseTo(0.5, within(1e-9));
    assertThat(a.getString("updatedAt")).isNotNull();
    await().until(() -> published.stream().anyMatch(p -> p.getLong("completedJobs") == 1
        && p.getInteger("connectedCrawlers") == 2));
  }

  @Test
  @DisplayName("progress queries answer one job, several jobs, the crawlers, and 404 for an unknown job")
  void queries() {
    // GIVEN two running jobs on one crawler that sent a heartbeat
    deploy(50);
    bus.startJob("q1", "crawler-q", 1);
    bus.startJob("q2", "crawler-q", 1);
    bus.crawlerMessage("heartbeat", "crawler-q", null, clock.instant(), new JsonObject().put("activeJobs", 2)
        .put("totalProcessed", 42).put("systemStatus", "processing"));
    reportAndWait("crawler-q", "q1", 10, 100);
    reportAndWait("crawler-q", "q2", 20, 100);
    // WHEN / THEN several jobs come back in the order asked, unknown ones left out
    JsonArray jobs = bus.get(new JsonObject().put("jobIds", new JsonArray().add("q2").add("nope").add("q1")))
        .getJsonArray("jobs");
    assertThat(jobs).hasSize(2);
    assertThat(jobs.getJsonObject(0).getString("jobId")).isEqualTo("q2");
    // AND the crawler view shows the heartbeat status and the hub's job count
    await().until(() -> !bus.get(new JsonObject().put("crawlers", true)).getJsonArray("crawlers").isEmpty());
    JsonObject c = bus.get(new JsonObject().put("crawlers", true)).getJsonArray("crawlers").getJsonObject(0);
    assertThat(c.getString("crawlerId")).isEqualTo("crawler-q");
    assertThat(c.getString("systemStatus")).isEqualTo("processing");
    assertThat(c.getLong("activeJobs")).isEqualTo(2L);
    assertThat(c.getLong("trackedJobs")).isEqualTo(2L);
    assertThat(c.getLong("totalProcessed")).isEqualTo(42L);
    assertThat(c.getBoolean("connected")).isTrue();
    // AND an unknown job is a 404
    assertThatThrownBy(() -> bus.job("missing"))
        .isInstanceOfSatisfying(ReplyException.class, e -> {
          assertThat(e.failureCode()).isEqualTo(404);
          assertThat(e.getMessage()).startsWith("NOT_FOUND");
        });
  }
}
