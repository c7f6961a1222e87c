package org.crawlerhub.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.jobs.JobsVerticle;
import org.crawlerhub.metrics.HubMetrics;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * PostgreSQL goes away mid-stream and comes back on the same port and data directory: no
 * lifecycle transition is lost or duplicated. Uses its own embedded server (the shared one must
 * stay up for the other tests).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OutageTest {
  private Path dataDir;
  private int port;
  private EmbeddedPostgres pg;
  private Vertx vertx;
  private final List<JsonObject> busEvents = new CopyOnWriteArrayList<>();

  @BeforeEach
  void startDatabase() throws Exception {
    dataDir = Files.createTempDirectory("hub-outage-pg");
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    pg = startPg();
    Flyway.configure().dataSource("jdbc:postgresql://localhost:" + port + "/postgres", "postgres", null)
        .locations("classpath:db/migration").load().migrate();
    vertx = Vertx.vertx();
    vertx.eventBus().<JsonObject>consumer(Addresses.JOB_EVENTS, m -> busEvents.add(m.body())).completion()
        .await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stopDatabase() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
    if (pg != null) {
      pg.close();
    }
    try (Stream<Path> files = Files.walk(dataDir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  private EmbeddedPostgres startPg() throws IOException {
    return EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(false).setPort(port).start();
  }

  private String url() {
    return "postgresql://postgres@localhost:" + port + "/postgres";
  }

  private HubConfig config(int writeBufferSize) {
    return HubConfig.fromJson(new JsonObject().put("nodeId", "node-outage")
        .put("database", new JsonObject().put("url", url()).put("poolSize", 4).put("writeBufferSize", writeBufferSize))
        .put("heartbeatInterval", 1000).put("heartbeatTimeout", 60000).put("leaseGrace", 60000)
        .put("leaseCheckInterval", 200).put("progressFlushInterval", 100)
        .put("maxJobsPerRequest", 100).put("maxConcurrentJobs", 100));
  }

  private JsonObject send(String type, String jobId, JsonObject data) throws Exception {
    JsonObject env = new JsonObject().put("type", type).put("timestamp", Instant.now().toString()).put("data", data);
    if (jobId != null) {
      env.put("jobId", jobId);
    }
    DeliveryOptions opts = new DeliveryOptions().addHeader("connectionId", "conn-c").addHeader("crawlerId", "c")
        .addHeader("nodeId", "node-outage").addHeader("transport", "unix").setSendTimeout(20_000);
    return vertx.eventBus().<JsonObject>request(Addresses.JOBS_COMMAND, env, opts).await(30, TimeUnit.SECONDS).body();
  }

  private io.vertx.core.Future<JsonObject> sendAsync(String type, String jobId, JsonObject data) {
    JsonObject env = new JsonObject().put("type", type).put("timestamp", Instant.now().toString()).put("data", data)
        .put("jobId", jobId);
    DeliveryOptions opts = new DeliveryOptions().addHeader("connectionId", "conn-c").addHeader("crawlerId", "c")
        .addHeader("nodeId", "node-outage").addHeader("transport", "unix").setSendTimeout(20_000);
    return vertx.eventBus().<JsonObject>request(Addresses.JOBS_COMMAND, env, opts).map(m -> m.body());
  }

  private List<String> prepareRunningJobs(int n) throws Exception {
    JsonArray specs = new JsonArray();
    for (int i = 0; i < n; i++) {
      specs.add(new JsonObject().put("entityType", "project").put("entityId", "o/" + i)
          .put("gitlabUrl", "https://gitlab").put("accessToken", "t"));
    }
    vertx.eventBus().request(Addresses.JOBS_ENQUEUE, new JsonObject().put("jobs", specs)).await(30, TimeUnit.SECONDS);
    JsonArray claimed = send("job_request", null, new JsonObject().put("maxJobs", n))
        .getJsonArray("frames").getJsonObject(0).getJsonObject("data").getJsonArray("jobs");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < claimed.size(); i++) {
      String id = claimed.getJsonObject(i).getString("id");
      ids.add(id);
      send("job_started", id, new JsonObject());
    }
    return ids;
  }

  private static double buffered() {
    Gauge g = HubMetrics.registry().find(HubMetrics.PERSISTENCE_BUFFERED).gauge();
    return g == null ? 0 : g.value();
  }

  private List<Row> rows(String sql) throws Exception {
    Pool pool = Database.pool(vertx, url(), 1);
    try {
      List<Row> out = new ArrayList<>();
      pool.query(sql).execute().await(30, TimeUnit.SECONDS).forEach(out::add);
      return out;
    } finally {
      pool.close();
    }
  }

  @Test
  @DisplayName("transitions accepted while PostgreSQL is down are buffered, replayed when it is back, and recorded exactly once")
  void outageLosesAndDuplicatesNothing() throws Exception {
    // GIVEN 40 running jobs
    String deployment = vertx.deployVerticle(new JobsVerticle(config(10_000))).await(30, TimeUnit.SECONDS);
    List<String> ids = prepareRunningJobs(40);
    assertThat(ids).hasSize(40);

    // WHEN the crawler streams progress and completions and PostgreSQL stops in the middle of the stream
    List<io.vertx.core.Future<JsonObject>> inFlight = new ArrayList<>();
    for (int i = 0; i < ids.size(); i++) {
      String id = ids.get(i);
      inFlight.add(sendAsync("job_progress", id, new JsonObject().put("stage", "fetching").put("entityType", "issue")
          .put("processed", 10).put("total", 10)));
      inFlight.add(sendAsync("job_completed", id, new JsonObject().put("success", true)
          .put("finalCounts", new JsonObject().put("issues", 10))));
      if (i == 10) {
        pg.close();
        pg = null;
      }
    }
    List<JsonObject> replies = new ArrayList<>();
    for (io.vertx.core.Future<JsonObject> f : inFlight) {
      replies.add(f.await(30, TimeUnit.SECONDS));
    }
    JsonObject claimWhileDown = send("job_request", null, new JsonObject().put("maxJobs", 1));

    // THEN the hub kept serving: every message accepted, the writes are buffered, claims answer empty plus an error
    assertThat(replies).allMatch(r -> r.getJsonArray("frames") != null && r.getJsonArray("frames").isEmpty());
    assertThat(buffered()).isGreaterThan(0.0);
    JsonArray frames = claimWhileDown.getJsonArray("frames");
    assertThat(frames).hasSize(2);
    assertThat(frames.getJsonObject(0).getJsonObject("data").getJsonArray("jobs")).isEmpty();
    assertThat(frames.getJsonObject(1).getString("type")).isEqualTo("error");
    assertThat(busEvents.stream().filter(e -> "completed".equals(e.getString("to"))).count()).isLessThan(40L);

    // WHEN PostgreSQL comes back on the same port and data directory
    pg = startPg();

    // THEN every completion is durable exactly once and published exactly once after the commit
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
        rows("SELECT count(*) FROM jobs WHERE status = 'completed'").get(0).getLong(0)).isEqualTo(40L));
    assertThat(rows("SELECT count(*) FROM job_events WHERE to_status = 'completed'").get(0).getLong(0)).isEqualTo(40L);
    assertThat(rows("SELECT job_id FROM job_events GROUP BY job_id, to_status, attempt HAVING count(*) > 1")).isEmpty();
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      assertThat(busEvents.stream().filter(e -> "completed".equals(e.getString("to"))).map(e -> e.getString("jobId")))
          .hasSize(40).doesNotHaveDuplicates();
      assertThat(buffered()).isZero();
    });
    assertThat(rows("SELECT count(*) FROM jobs WHERE (progress -> 'finalCounts' ->> 'issues') = '10'")
        .get(0).getLong(0)).isEqualTo(40L);
    vertx.undeploy(deployment).await(30, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("a jobs_discovered arriving while PostgreSQL is down is acknowledged, kept, and its jobs created once when it is back")
  void discoveryDuringAnOutageIsKept() throws Exception {
    // GIVEN a running discovery job, then PostgreSQL gone
    String deployment = vertx.deployVerticle(new JobsVerticle(config(10_000))).await(30, TimeUnit.SECONDS);
    String parent = prepareRunningJobs(1).get(0);
    pg.close();
    pg = null;

    // WHEN the crawler reports 3 discovered projects and completes the job
    JsonArray entries = new JsonArray();
    for (int i = 0; i < 3; i++) {
      entries.add(new JsonObject().put("job_type", "crawl_project").put("entity_id", String.valueOf(100 + i))
          .put("namespace_path", "grp/proj-" + i).put("entity_name", "proj-" + i).put("priority", 1));
    }
    JsonObject discovered = send("jobs_discovered", parent, new JsonObject().put("discovered_jobs", entries)
        .put("discovery_summary", new JsonObject().put("total_users", 0).put("total_groups", 0)
            .put("total_projects", 3).put("hierarchy_depth", 1)));
    JsonObject completed = send("job_completed", parent, new JsonObject().put("success", true)
        .put("finalCounts", new JsonObject()));

    // THEN both are acknowledged without an error, as the buffered lifecycle writes are
    assertThat(discovered.getJsonArray("frames")).as(discovered.encode()).isEmpty();
    assertThat(completed.getJsonArray("frames")).as(completed.encode()).isEmpty();

    // WHEN PostgreSQL comes back
    pg = startPg();

    // THEN the three children and their default fan-out (5 data jobs each) exist once, spawned from
    // the discovery, and their creation is published
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(rows(
        "SELECT count(*) FROM jobs WHERE spawned_from = '" + parent + "'").get(0).getLong(0)).isEqualTo(3L + 15L));
    assertThat(rows("SELECT count(*) FROM jobs WHERE spawned_from = '" + parent + "' AND job_type = 'crawl_project'")
        .get(0).getLong(0)).isEqualTo(3L);
    assertThat(rows("SELECT count(*) FROM areas").get(0).getLong(0)).isEqualTo(3L);
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
        rows("SELECT status FROM jobs WHERE id = '" + parent + "'").get(0).getString(0)).isEqualTo("completed"));
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(busEvents.stream()
        .filter(e -> "discovered".equals(e.getString("reason")))).hasSize(18));
    vertx.undeploy(deployment).await(30, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("when the write buffer is full the crawler gets an error instead of silence, and nothing beyond it is recorded")
  void fullBufferPushesBack() throws Exception {
    // GIVEN a write buffer of 5 and 8 running jobs
    String deployment = vertx.deployVerticle(new JobsVerticle(config(5))).await(30, TimeUnit.SECONDS);
    List<String> ids = prepareRunningJobs(8);

    // WHEN PostgreSQL stops and 8 completions arrive
    pg.close();
    pg = null;
    List<JsonObject> replies = new ArrayList<>();
    for (String id : ids) {
      replies.add(send("job_completed", id, new JsonObject().put("success", true).put("finalCounts", new JsonObject())));
    }

    // THEN 5 are accepted and 3 are refused with an error naming the full buffer
    assertThat(replies.subList(0, 5)).allMatch(r -> r.getJsonArray("frames") != null);
    assertThat(replies.subList(5, 8)).allMatch(r -> r.getJsonObject("error") != null
        && r.getJsonObject("error").getString("message").contains("buffer full"));

    // WHEN PostgreSQL is back
    pg = startPg();

    // THEN exactly the 5 accepted completions are recorded and the refused jobs are still running
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
        rows("SELECT count(*) FROM jobs WHERE status = 'completed'").get(0).getLong(0)).isEqualTo(5L));
    assertThat(rows("SELECT count(*) FROM jobs WHERE status = 'running'").get(0).getLong(0)).isEqualTo(3L);
    // AND a refused completion can be resent successfully
    JsonObject resent = send("job_completed", ids.get(7), new JsonObject().put("success", true).put("finalCounts", new JsonObject()));
    assertThat(resent.getJsonArray("frames")).isEmpty();
    vertx.undeploy(deployment).await(30, TimeUnit.SECONDS);
  }
}
