package org.crawlerhub.progress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.bus.ProgressLane;
import org.crawlerhub.metrics.HubMetrics;
import org.crawlerhub.protocol.JobReport;
import org.crawlerhub.protocol.JobReportBatch;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The aggregator's lane: what a router partition hands over directly (ARCHITECTURE, job reports). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProgressLaneTest {
  private static final String JOB = "job-lane";
  private static final String CRAWLER = "crawler-1";
  private static final Instant TS = Instant.parse("2026-01-01T10:00:00Z");

  private Vertx vertx;
  private ProgressBus bus;
  /** processed of each hub.progress.job.<JOB> publish, in publish order (they are made under the partition's lock). */
  private final List<Long> published = Collections.synchronizedList(new ArrayList<>());
  /** processed -> the thread that published it. */
  private final ConcurrentHashMap<Long, String> publishedOn = new ConcurrentHashMap<>();

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx();
    bus = new ProgressBus(vertx);
    vertx.eventBus().addOutboundInterceptor(dc -> {
      if (!dc.send() && dc.message().address().equals(Addresses.jobProgress(JOB))
          && dc.body() instanceof JsonObject p && p.getValue("processed") instanceof Number n
          && n.longValue() > 0) { // not the lifecycle publishes before the first report
        published.add(n.longValue());
        publishedOn.put(n.longValue(), Thread.currentThread().getName());
      }
      dc.next();
    });
  }

  @AfterEach
  void tearDown() {
    ProgressBus.sync(vertx.close());
  }

  /** Deploys one partition as the hub does (worker context), publishing every change (interval 0). */
  private String deploy() {
    String id = ProgressBus.sync(vertx.deployVerticle(new ProgressVerticle(ProgressBus.config("node-a", null, 0), 0, 1),
        ProgressVerticle.deploymentOptions()));
    bus.startJob(JOB, CRAWLER, 1);
    await().atMost(Duration.ofSeconds(5)).until(() -> "running".equals(bus.job(JOB).getString("status")));
    return id;
  }

  private static JobReportBatch progress(long processed) {
    return new JobReportBatch("node-a", "conn-1", CRAWLER, List.of(report(JOB, processed)));
  }

  private static JobReport report(String jobId, long processed) {
    JsonObject env = new JsonObject().put("type", "job_progress").put("jobId", jobId).put("timestamp", TS.toString())
        .put("data", new JsonObject().put("stage", "fetching").put("processed", processed).put("total", 1_000_000L));
    return JobReport.fromEnvelope(env);
  }

  @Test
  @DisplayName("a report offered to an idle partition is published on the offering thread, before offer returns")
  void idlePartitionAppliesOnTheCallersThread() {
    // GIVEN a running partition, its lane listed
    deploy();
    ProgressLane lane = ProgressLane.map(vertx).get(0);
    assertThat(lane).isNotNull();
    // WHEN reports are offered, one at a time, once the start barrier has passed
    AtomicLong next = new AtomicLong();
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
      long n = next.incrementAndGet();
      assertThat(lane.offer(progress(n))).isTrue();
      // THEN one is published by the thread that offered it, already when offer returned
      return Thread.currentThread().getName().equals(publishedOn.get(n));
    });
    assertThat(bus.job(JOB).getLong("processed")).isEqualTo(next.get());
  }

  @Test
  @DisplayName("reports offered while the partition is busy or starting are queued, and all are applied in offer order")
  void offersKeepTheirOrderAcrossBothPaths() {
    // GIVEN a partition whose lane was just listed (its start barrier queues every offer for a while)
    deploy();
    ProgressLane lane = ProgressLane.map(vertx).get(0);
    // ... and a stream of aggregate queries that keeps its lock busy now and then
    long contender = vertx.setPeriodic(1, id -> {
      for (int i = 0; i < 5; i++) {
        vertx.eventBus().request(Addresses.PROGRESS_GET, new JsonObject());
      }
    });
    // WHEN one caller offers reports 1, 2, 3, ... until one is applied on its own thread, then 3,000 more
    AtomicLong next = new AtomicLong();
    AtomicLong mostQueued = new AtomicLong();
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(2)).until(() -> {
      long n = next.incrementAndGet();
      lane.offer(progress(n));
      mostQueued.accumulateAndGet((long) queuedGauge(), Math::max);
      return Thread.currentThread().getName().equals(publishedOn.get(n));
    });
    for (int i = 0; i < 3_000; i++) {
      lane.offer(progress(next.incrementAndGet()));
      mostQueued.accumulateAndGet((long) queuedGauge(), Math::max);
    }
    long last = next.get();
    await().atMost(Duration.ofSeconds(10)).until(() -> publishedOn.containsKey(last));
    vertx.cancelTimer(contender);
    // THEN every report was applied exactly once and in the order offered
    assertThat(published).containsExactlyElementsOf(LongStream.rangeClosed(1, last).boxed().toList());
    assertThat(bus.job(JOB).getLong("processed")).isEqualTo(last);
    // ... some on the partition's own thread (queued), some on the caller's
    Set<String> threads = Set.copyOf(publishedOn.values());
    assertThat(threads).anyMatch(t -> t.startsWith("vert.x-worker-thread"));
    assertThat(threads).anyMatch(t -> !t.startsWith("vert.x-"));
    // ... and the gauge counted the queued ones while they waited, and reads 0 now
    assertThat(mostQueued.get()).isPositive();
    await().atMost(Duration.ofSeconds(5)).until(() -> queuedGauge() == 0);
  }

  private static double queuedGauge() {
    return HubMetrics.registry().get(HubMetrics.PROGRESS_QUEUED).tag("partition", "0").gauge().value();
  }

  @Test
  @DisplayName("with two partitions, offerAll hands one batch to both and each applies the jobs it owns")
  void everyPartitionGetsTheBatch() {
    // GIVEN two partitions and a job owned by each
    for (int p = 0; p < 2; p++) {
      ProgressBus.sync(vertx.deployVerticle(new ProgressVerticle(ProgressBus.config("node-a", null, 0), p, 2),
          ProgressVerticle.deploymentOptions()));
    }
    String even = IntStream.range(0, 100).mapToObj(i -> "job-" + i)
        .filter(j -> ProgressVerticle.partitionOf(j, 2) == 0).findFirst().orElseThrow();
    String odd = IntStream.range(0, 100).mapToObj(i -> "job-" + i)
        .filter(j -> ProgressVerticle.partitionOf(j, 2) == 1).findFirst().orElseThrow();
    for (String job : List.of(even, odd)) {
      bus.startJob(job, CRAWLER, 1);
      await().atMost(Duration.ofSeconds(5)).until(() -> "running".equals(bus.job(job).getString("status")));
    }
    // WHEN one batch reporting on both is offered to the node's lanes
    JobReportBatch batch = new JobReportBatch("node-a", "conn-1", CRAWLER, List.of(report(even, 7), report(odd, 9)));
    assertThat(ProgressLane.offerAll(ProgressLane.map(vertx), 2, batch)).isTrue();
    // THEN each partition applied its own job's report
    await().atMost(Duration.ofSeconds(5)).until(() -> bus.job(even).getLong("processed") == 7
        && bus.job(odd).getLong("processed") == 9);
    // ... and with one partition's lane missing, nothing is offered (the router publishes instead)
    ProgressLane.map(vertx).remove(1);
    assertThat(ProgressLane.offerAll(ProgressLane.map(vertx), 2, batch)).isFalse();
  }

  @Test
  @DisplayName("a stopped partition leaves the map and refuses offers, so the router publishes instead")
  void stoppedPartitionRefuses() {
    // GIVEN a running partition and its lane
    String id = deploy();
    ProgressLane lane = ProgressLane.map(vertx).get(0);
    // WHEN it is undeployed
    ProgressBus.sync(vertx.undeploy(id));
    // THEN its lane (and its queue gauge) is gone, refuses a batch, and offerAll reports that nothing was taken
    assertThat(ProgressLane.map(vertx).get(0)).isNull();
    assertThat(HubMetrics.registry().find(HubMetrics.PROGRESS_QUEUED).tag("partition", "0").gauge()).isNull();
    assertThat(lane.offer(progress(1))).isFalse();
    assertThat(ProgressLane.offerAll(ProgressLane.map(vertx), 1, progress(1))).isFalse();
  }
}
