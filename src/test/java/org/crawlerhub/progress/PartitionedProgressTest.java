package org.crawlerhub.progress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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

@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PartitionedProgressTest {
  private static final Instant T0 = Instant.parse("2026-01-01T10:00:00Z");

  private Vertx single;
  private Vertx quad;
  private ProgressBus singleBus;
  private ProgressBus quadBus;
  private final MutableClock clock = new MutableClock(T0);
  private final List<String> quadDeployments = new ArrayList<>();

  @BeforeEach
  void setUp() {
    // GIVEN (for every test) one hub with one progress partition and one with four, on the same database
    String url = TestDatabase.freshDatabase();
    TestDatabase.exec(url, "INSERT INTO jobs (id, status, entity_type, entity_id, attempt) VALUES "
        + "('old-1','completed','project','p/old1',1), ('old-2','dead','project','p/old2',4), "
        + "('old-3','completed','project','p/old3',1)");
    single = Vertx.vertx();
    quad = Vertx.vertx();
    singleBus = new ProgressBus(single);
    quadBus = new ProgressBus(quad);
    ProgressOptions opts = ProgressOptions.defaults().withClock(clock).withPartialIntervalMs(100);
    HubConfig one = ProgressBus.config("node-1", url, 50);
    HubConfig four = ProgressBus.config("node-4", url, 50);
    ProgressBus.sync(single.deployVerticle(new ProgressVerticle(one, 0, 1, opts)));
    for (int p = 0; p < 4; p++) {
      quadDeployments.add(ProgressBus.sync(quad.deployVerticle(new ProgressVerticle(four, p, 4, opts))));
    }
  }

  @AfterEach
  void tearDown() {
    ProgressBus.sync(single.close());
    ProgressBus.sync(quad.close());
  }

  private void both(java.util.function.Consumer<ProgressBus> action) {
    action.accept(singleBus);
    action.accept(quadBus);
  }

  private static JsonObject withoutTime(JsonObject aggregate) {
    JsonObject a = aggregate.copy();
    a.remove("updatedAt");
    return a;
  }

  @Test
  @DisplayName("four partitioned aggregators give the same jobs, crawlers and aggregate as one")
  void fourPartitionsEqualOne() {
    // WHEN four crawlers connect and run 40 jobs through their lifecycle with progress reports
    for (int c = 1; c <= 4; c++) {
      String crawler = "crawler-" + c;
      both(b -> b.crawlerEvent("connected", crawler));
    }
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      String jobId = "job-" + i;
      String crawler = "crawler-" + (i % 4 + 1);
      ids.add(jobId);
      both(b -> b.startJob(jobId, crawler, 1));
    }
    await().until(() -> "running".equals(quadBus.job("job-39").getString("status"))
        && "running".equals(singleBus.job("job-39").getString("status")));
    for (int step = 1; step <= 3; step++) {
      clock.advance(Duration.ofSeconds(1));
      for (int i = 0; i < 40; i++) {
        String jobId = "job-" + i;
        String crawler = "crawler-" + (i % 4 + 1);
        long processed = step * 10L * (i + 1);
        both(b -> b.progress(crawler, jobId, clock.instant(), processed, 100L * (jobId.length() + 40)));
      }
      int s = step;
      await().atMost(Duration.ofSeconds(10)).until(() -> quadBus.job("job-39").getLong("processed") == s * 400L
          && singleBus.job("job-39").getLong("processed") == s * 400L
          && quadBus.job("job-0").getLong("processed") == s * 10L
          && singleBus.job("job-0").getLong("processed") == s * 10L);
    }
    for (int i = 0; i < 10; i++) {
      String jobId = "job-" + i;
      both(b -> b.jobEvent(jobId, "running", "completed", 1, null, null));
    }
    both(b -> b.jobEvent("job-10", "running", "failed", 1, null, new JsonObject().put("recoverable", true)));
    both(b -> b.crawlerEvent("disconnected", "crawler-4"));

    // THEN every job reads the same through either hub
    await().atMost(Duration.ofSeconds(10)).until(() -> "failed".equals(quadBus.job("job-10").getString("stage"))
        && "failed".equals(singleBus.job("job-10").getString("stage")));
    JsonArray all = new JsonArray(new ArrayList<>(ids));
    await().untilAsserted(() -> {
      JsonArray fromQuad = quadBus.get(new JsonObject().put("jobIds", all)).getJsonArray("jobs");
      JsonArray fromSingle = singleBus.get(new JsonObject().put("jobIds", all)).getJsonArray("jobs");
      assertThat(fromQuad).hasSize(40);
      assertThat(fromQuad.getJsonObject(9).getString("stage")).isEqualTo("completed");
      for (int i = 0; i < 40; i++) {
        assertThat(fromQuad.getJsonObject(i)).as(ids.get(i)).isEqualTo(fromSingle.getJsonObject(i));
      }
    });
    // AND the merged aggregate equals the single one (the restored terminal jobs included)
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonObject a1 = withoutTime(singleBus.aggregate());
      JsonObject a4 = withoutTime(quadBus.aggregate());
      assertThat(a4.getInteger("partitions")).isEqualTo(4);
      assertThat(a1.getLong("totalJobs")).isEqualTo(43L);
      assertThat(a1.getLong("completedJobs")).isEqualTo(12L);
      assertThat(a1.getLong("deadJobs")).isEqualTo(1L);
      assertThat(a1.getLong("failedJobs")).isEqualTo(1L);
      assertThat(a1.getLong("activeJobs")).isEqualTo(29L);
      assertThat(a1.getInteger("connectedCrawlers")).isEqualTo(3);
      for (String key : List.of("totalJobs", "queuedJobs", "activeJobs", "completedJobs", "failedJobs",
          "deadJobs", "connectedCrawlers", "estimatedTimeRemaining")) {
        assertThat(a4.getLong(key)).as(key).isEqualTo(a1.getLong(key));
      }
      assertThat(a4.getDouble("combinedThroughput")).isCloseTo(a1.getDouble("combinedThroughput"), within(1e-6));
      assertThat(a4.getDouble("overallCompletion")).isCloseTo(a1.getDouble("overallCompletion"), within(1e-9));
    });
    // AND so does the per-crawler view
    await().untilAsserted(() -> assertThat(quadBus.get(new JsonObject().put("crawlers", true)))
        .isEqualTo(singleBus.get(new JsonObject().put("crawlers", true))));
  }

  @Test
  @DisplayName("each partition publishes its partial summary, and an unknown job is a 404 from whichever instance is asked")
  void partialsAndNotFound() {
    // GIVEN a listener on the partial summaries
    List<JsonObject> partials = quadBus.collect(Addresses.PROGRESS_PARTIAL);
    // THEN all four partitions of node-4 are heard from, with their counts
    await().until(() -> partials.stream().filter(p -> "node-4".equals(p.getString("nodeId")))
        .map(p -> p.getInteger("partition")).distinct().count() == 4);
    assertThat(partials.get(0).getJsonObject("counts")).isNotNull();
    assertThat(partials.get(0).getInteger("partitions")).isEqualTo(4);
    // AND asking any instance for an unknown job (forwarded to its owner) fails with 404
    for (int i = 0; i < 8; i++) {
      assertThatThrownBy(() -> quadBus.job("no-such-job"))
          .isInstanceOfSatisfying(ReplyException.class, e -> assertThat(e.failureCode()).isEqualTo(404));
    }
  }

  @Test
  @DisplayName("a stopped partition leaves the merged aggregate")
  void stoppedPartitionLeavesTheAggregate() {
    // WHEN one of the four partitions is undeployed
    await().until(() -> quadBus.aggregate().getInteger("partitions") == 4);
    ProgressBus.sync(quad.undeploy(quadDeployments.get(3)));
    // THEN the aggregate is merged from the three that remain
    await().until(() -> quadBus.aggregate().getInteger("partitions") == 3);
  }
}
