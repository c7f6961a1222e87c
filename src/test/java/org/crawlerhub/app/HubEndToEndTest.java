package org.crawlerhub.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.crawlerhub.testing.LineClient.msg;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.jobs.JobsClient;
import org.crawlerhub.testing.LineClient;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The whole hub (every verticle, a real PostgreSQL, real sockets and HTTP) driven like a crawler and an operator would. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class HubEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(15);
  private final List<HubApplication> hubs = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stopHubs() throws Exception {
    for (HubApplication hub : hubs) {
      hub.stop().await(60, TimeUnit.SECONDS);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  static JsonObject testConfig(String dbUrl) throws IOException {
    Path dir = Files.createTempDirectory("hub-e2e");
    return new JsonObject()
        .put("profile", "test")
        .put("dataDir", dir.toString())
        .put("socketPath", dir.resolve("hub.sock").toString())
        .put("database", new JsonObject().put("url", dbUrl))
        .put("http", new JsonObject().put("port", freePort()))
        .put("shutdownTimeout", 2000);
  }

  HubApplication start(JsonObject config) throws Exception {
    HubApplication hub = HubApplication.start(config).await(120, TimeUnit.SECONDS);
    hubs.add(hub);
    return hub;
  }

  JsonObject httpGet(HubApplication hub, String path) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + hub.config().http().port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("GET %s -> %s", path, r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  String httpText(HubApplication hub, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + hub.config().http().port() + path)).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  static JsonObject jobSpec(String entityId) {
    return new JsonObject().put("entityType", "project").put("entityId", entityId)
        .put("gitlabUrl", "https://gitlab.example.com").put("accessToken", "glpat-secret");
  }

  /** Waits until the job is completed, having gone queued -> assigned -> running -> completed exactly once. */
  void awaitCompletedOnce(HubApplication hub, String jobId) {
    await().atMost(WAIT).untilAsserted(() -> {
      JsonObject detail = httpGet(hub, "/api/jobs/" + jobId);
      assertThat(detail.getJsonObject("job").getString("status")).isEqualTo("completed");
      List<String> path = new ArrayList<>();
      detail.getJsonArray("events").forEach(e -> path.add(((JsonObject) e).getString("to")));
      assertThat(path).containsExactly("queued", "assigned", "running", "completed");
    });
  }

  static JsonObject firstOfType(LineClient c, String type) throws IOException {
    return c.readUntil(m -> type.equals(m.getString("type")), WAIT);
  }

  @Test
  @DisplayName("the sockets run on Linux epoll by default where it loads, on the JDK's NIO with nativeTransport false; crawlers are served on both")
  void transportFollowsNativeTransport() throws Exception {
    for (boolean nativeTransport : new boolean[] {true, false}) {
      // GIVEN a hub started with nativeTransport true (the default) or false
      JsonObject cfg = testConfig(TestDatabase.freshDatabase());
      if (!nativeTransport) {
        cfg.put("nativeTransport", false);
      }
      HubApplication hub = start(cfg);
      // THEN it runs on epoll exactly when asked and available
      assertThat(hub.vertx().isNativeTransportEnabled())
          .isEqualTo(nativeTransport && io.vertx.core.transport.Transport.EPOLL.available());
      // AND a crawler is welcomed and answered on its Unix socket
      try (LineClient crawler = LineClient.unix(Path.of(hub.config().socketPath()))) {
        crawler.send(msg("hello", null, new JsonObject().put("crawlerId", "crawler-transport").put("version", "1.0.0")));
        assertThat(firstOfType(crawler, "welcome").getJsonObject("data").getString("crawlerId")).isEqualTo("crawler-transport");
        crawler.send(msg("job_request", null, new JsonObject().put("maxJobs", 0)));
        assertThat(firstOfType(crawler, "job_response").getJsonObject("data").getJsonArray("jobs")).isEmpty();
      }
    }
    // AND on this machine (Linux x86_64, the jar's native library) epoll does load
    assertThat(io.vertx.core.transport.Transport.EPOLL.available())
        .as(String.valueOf(io.vertx.core.transport.Transport.EPOLL.unavailabilityCause())).isTrue();
  }

  @Test
  @DisplayName("a crawler pulls a job enqueued through the jobs API, reports on it, and operators see the whole story over HTTP")
  void crawlerRunsAJobEndToEnd() throws Exception {
    // GIVEN a running hub and a job enqueued through the Java jobs API
    HubApplication hub = start(testConfig(TestDatabase.freshDatabase()));
    JsonObject created = new JobsClient(hub.vertx()).enqueue(jobSpec("group/alpha")).await(30, TimeUnit.SECONDS);
    String jobId = created.getJsonArray("jobs").getJsonObject(0).getString("id");

    try (LineClient crawler = LineClient.unix(Path.of(hub.config().socketPath()))) {
      // WHEN a crawler says hello and asks for work
      crawler.send(msg("hello", null, new JsonObject().put("crawlerId", "crawler-e2e").put("version", "1.0.0")));
      assertThat(firstOfType(crawler, "welcome").getJsonObject("data").getString("crawlerId")).isEqualTo("crawler-e2e");
      crawler.send(msg("job_request", null, new JsonObject().put("maxJobs", 2)));
      JsonArray jobs = firstOfType(crawler, "job_response").getJsonObject("data").getJsonArray("jobs");

      // THEN it gets exactly that job, with its token
      assertThat(jobs).hasSize(1);
      assertThat(jobs.getJsonObject(0).getString("id")).isEqualTo(jobId);
      assertThat(jobs.getJsonObject(0).getString("accessToken")).isEqualTo("glpat-secret");

      // WHEN it starts, reports half the work, and completes (a job_request barrier after each step)
      crawler.send(msg("job_started", jobId, new JsonObject().put("entityType", "project").put("entityId", "group/alpha")));
      crawler.send(msg("job_progress", jobId, new JsonObject().put("stage", "fetching").put("entityType", "issue")
          .put("processed", 50).put("total", 100)));
      crawler.send(msg("job_request", null, new JsonObject().put("maxJobs", 0)));
      assertThat(firstOfType(crawler, "job_response").getJsonObject("data").getJsonArray("jobs")).isEmpty();

      // THEN the aggregator's view shows the progress as soon as the router accepted it
      await().atMost(WAIT).untilAsserted(() -> {
        JsonObject progress = httpGet(hub, "/api/progress/" + jobId);
        assertThat(progress.getLong("processed")).isEqualTo(50L);
        assertThat(progress.getDouble("completion")).isEqualTo(0.5);
      });

      crawler.send(msg("job_completed", jobId, new JsonObject().put("success", true)
          .put("finalCounts", new JsonObject().put("issue", 100))));
      crawler.send(msg("job_request", null, new JsonObject().put("maxJobs", 0)));
      firstOfType(crawler, "job_response");
    }

    // THEN the job is completed with its full, durable event history
    await().atMost(WAIT).untilAsserted(() -> {
      JsonObject detail = httpGet(hub, "/api/jobs/" + jobId);
      assertThat(detail.getJsonObject("job").getString("status")).isEqualTo("completed");
      assertThat(detail.getJsonObject("job").containsKey("accessToken")).isFalse();
      List<String> path = new ArrayList<>();
      detail.getJsonArray("events").forEach(e -> path.add(((JsonObject) e).getString("to")));
      assertThat(path).containsSubsequence("queued", "assigned", "running", "completed");
    });
    // AND the metrics count what crossed the socket
    assertThat(httpText(hub, "/metrics")).contains("hub_messages_in_total").contains("job_progress")
        .contains("hub_job_transitions_total").contains("hub_crawlers_active");
  }

  @Test
  @DisplayName("a whole job's lifecycle written in one go (batched by the hub) is handled in order, with a rejection in the middle and a job_request barrier at the end")
  void lifecycleInOneWrite() throws Exception {
    // GIVEN a running hub, a job, and a crawler that claimed it
    HubApplication hub = start(testConfig(TestDatabase.freshDatabase()));
    JsonObject created = new JobsClient(hub.vertx()).enqueue(jobSpec("group/batch")).await(30, TimeUnit.SECONDS);
    String jobId = created.getJsonArray("jobs").getJsonObject(0).getString("id");
    try (LineClient crawler = LineClient.unix(Path.of(hub.config().socketPath()))) {
      crawler.send(msg("hello", null, new JsonObject().put("crawlerId", "crawler-batch")));
      firstOfType(crawler, "welcome");
      crawler.send(msg("job_request", null, new JsonObject().put("maxJobs", 1)));
      assertThat(firstOfType(crawler, "job_response").getJsonObject("data").getJsonArray("jobs")).hasSize(1);

      // WHEN it writes job_started, 100 job_progress (one for an unknown job in the middle),
      // job_completed and a job_request barrier in one write
      StringBuilder all = new StringBuilder();
      all.append(msg("job_started", jobId, new JsonObject().put("entityType", "project")
          .put("entityId", "group/batch")).encode()).append('\n');
      for (int i = 1; i <= 100; i++) {
        String id = i == 50 ? "no-such-job" : jobId;
        all.append(msg("job_progress", id, new JsonObject().put("stage", "fetching").put("entityType", "issue")
            .put("processed", i).put("total", 100)).encode()).append('\n');
      }
      all.append(msg("job_completed", jobId, new JsonObject().put("success", true)
          .put("finalCounts", new JsonObject().put("issue", 100))).encode()).append('\n');
      all.append(msg("job_request", null, new JsonObject().put("maxJobs", 0)).encode()).append('\n');
      crawler.sendRaw(all.toString());

      // THEN the unknown job's rejection comes first, then the barrier's job_response
      JsonObject first = crawler.read(WAIT);
      assertThat(first.getString("type")).isEqualTo("error");
      assertThat(first.getJsonObject("data").getString("code")).isEqualTo("UNKNOWN_JOB");
      assertThat(first.getString("jobId")).isEqualTo("no-such-job");
      JsonObject second = crawler.read(WAIT);
      assertThat(second.getString("type")).isEqualTo("job_response");
      assertThat(second.getJsonObject("data").getJsonArray("jobs")).isEmpty();
    }
    // AND the job went through its lifecycle once, in order
    awaitCompletedOnce(hub, jobId);
  }

  @Test
  @DisplayName("over authenticated TCP, hello and a job's whole lifecycle in two writes: the lines after hello are decoded by the router, a broken one is rejected in its place")
  void lifecycleOverTcp() throws Exception {
    // GIVEN a hub listening on TCP with a crawler token, and a queued job
    int port = freePort();
    HubApplication hub = start(testConfig(TestDatabase.freshDatabase()).put("tcpEnabled", true).put("port", port)
        .put("crawlerTokens", new JsonArray().add("tcp-secret-token")));
    JsonObject created = new JobsClient(hub.vertx()).enqueue(jobSpec("group/tcp")).await(30, TimeUnit.SECONDS);
    String jobId = created.getJsonArray("jobs").getJsonObject(0).getString("id");
    try (LineClient crawler = LineClient.tcp("127.0.0.1", port)) {
      // WHEN it authenticates and claims in one write (that read is decoded by the gateway) ...
      crawler.sendRaw(msg("hello", null, new JsonObject().put("crawlerId", "crawler-tcp").put("token", "tcp-secret-token"))
          .encode() + "\n" + msg("job_request", null, new JsonObject().put("maxJobs", 1)).encode() + "\n");
      firstOfType(crawler, "welcome");
      assertThat(firstOfType(crawler, "job_response").getJsonObject("data").getJsonArray("jobs")).hasSize(1);
      // ... then writes started, progress, a truncated progress line, more progress, completed and a barrier
      StringBuilder all = new StringBuilder();
      all.append(msg("job_started", jobId, new JsonObject().put("entityType", "project")).encode()).append('\n');
      for (int i = 1; i <= 20; i++) {
        all.append(msg("job_progress", jobId, new JsonObject().put("stage", "fetching").put("entityType", "issue")
            .put("processed", i).put("total", 20)).encode()).append('\n');
        if (i == 10) {
          all.append("{\"type\":\"job_progress\",\"jobId\":\"").append(jobId).append("\",\"data\":{\n");
        }
      }
      all.append(msg("job_completed", jobId, new JsonObject().put("success", true)
          .put("finalCounts", new JsonObject().put("issue", 20))).encode()).append('\n');
      all.append(msg("job_request", null, new JsonObject().put("maxJobs", 0)).encode()).append('\n');
      crawler.sendRaw(all.toString());

      // THEN the broken line's INVALID_JSON comes first, then the barrier's job_response
      JsonObject first = crawler.read(WAIT);
      assertThat(first.getString("type")).isEqualTo("error");
      assertThat(first.getJsonObject("data").getString("code")).isEqualTo("INVALID_JSON");
      JsonObject second = crawler.read(WAIT);
      assertThat(second.getString("type")).as(second.encode()).isEqualTo("job_response");
    }
    // AND the job went through its lifecycle once, in order
    awaitCompletedOnce(hub, jobId);
  }

  @Test
  @DisplayName("the job history is still there after the hub restarts on the same database")
  void historySurvivesRestart() throws Exception {
    // GIVEN a hub with a job that a crawler started
    String db = TestDatabase.freshDatabase();
    HubApplication first = start(testConfig(db));
    String jobId = new JobsClient(first.vertx()).enqueue(jobSpec("group/beta")).await(30, TimeUnit.SECONDS)
        .getJsonArray("jobs").getJsonObject(0).getString("id");
    try (LineClient crawler = LineClient.unix(Path.of(first.config().socketPath()))) {
      crawler.send(msg("job_request", null, new JsonObject()));
      assertThat(firstOfType(crawler, "job_response").getJsonObject("data").getJsonArray("jobs")).hasSize(1);
      crawler.send(msg("job_started", jobId, new JsonObject()));
      crawler.send(msg("job_request", null, new JsonObject().put("maxJobs", 0)));
      firstOfType(crawler, "job_response");
    }

    // WHEN the hub stops and a new one starts on the same database
    first.stop().await(60, TimeUnit.SECONDS);
    hubs.remove(first);
    HubApplication second = start(testConfig(db));

    // THEN the job and its history are there
    JsonObject detail = new JobsClient(second.vertx()).get(jobId).await(30, TimeUnit.SECONDS);
    List<String> path = new ArrayList<>();
    detail.getJsonArray("events").forEach(e -> path.add(((JsonObject) e).getString("to")));
    assertThat(path).containsSubsequence("queued", "assigned", "running");
  }

  @Test
  @DisplayName("a lost crawler's job is requeued once with the next attempt, and the zombie's late completion is refused")
  void lostCrawlerJobIsRequeuedAndZombieFenced() throws Exception {
    // GIVEN a hub with short liveness settings and one job held by crawler A
    JsonObject cfg = testConfig(TestDatabase.freshDatabase())
        .put("heartbeatInterval", 500).put("heartbeatTimeout", 2000).put("leaseGrace", 1000)
        .put("leaseCheckInterval", 200);
    HubApplication hub = start(cfg);
    String jobId = new JobsClient(hub.vertx()).enqueue(jobSpec("group/gamma")).await(30, TimeUnit.SECONDS)
        .getJsonArray("jobs").getJsonObject(0).getString("id");
    Path socket = Path.of(hub.config().socketPath());
    LineClient a = LineClient.unix(socket);
    a.send(msg("hello", null, new JsonObject().put("crawlerId", "crawler-a")));
    firstOfType(a, "welcome");
    a.send(msg("job_request", null, new JsonObject()));
    assertThat(firstOfType(a, "job_response").getJsonObject("data").getJsonArray("jobs")).hasSize(1);
    a.send(msg("job_started", jobId, new JsonObject()));
    a.send(msg("job_request", null, new JsonObject().put("maxJobs", 0)));
    firstOfType(a, "job_response");

    // WHEN crawler A's socket dies mid-job
    a.close();

    // THEN within leaseGrace + 1 s (plus the scan period) the job is queued again with attempt 2, exactly once
    JobsClient jobs = new JobsClient(hub.vertx());
    await().atMost(Duration.ofMillis(1000 + 1000 + 200 + 1500)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
        assertThat(jobs.get(jobId).await(5, TimeUnit.SECONDS).getJsonObject("job").getInteger("attempt")).isEqualTo(2));
    try (LineClient b = LineClient.unix(socket)) {
      b.send(msg("hello", null, new JsonObject().put("crawlerId", "crawler-b")));
      firstOfType(b, "welcome");
      b.send(msg("job_request", null, new JsonObject()));
      JsonArray got = firstOfType(b, "job_response").getJsonObject("data").getJsonArray("jobs");
      assertThat(got).hasSize(1);
      assertThat(got.getJsonObject(0).getString("id")).isEqualTo(jobId);

      // AND WHEN the zombie crawler A comes back and reports the job completed
      try (LineClient zombie = LineClient.unix(socket)) {
        zombie.send(msg("hello", null, new JsonObject().put("crawlerId", "crawler-a")));
        firstOfType(zombie, "welcome");
        zombie.send(msg("job_completed", jobId, new JsonObject().put("success", true).put("finalCounts", new JsonObject())));
        JsonObject err = firstOfType(zombie, "error");
        // THEN it is refused as a stale lease and the job stays with crawler B
        assertThat(err.getJsonObject("data").getString("code")).isEqualTo("STALE_LEASE");
      }
      JsonObject job = jobs.get(jobId).await(5, TimeUnit.SECONDS).getJsonObject("job");
      assertThat(job.getString("status")).isEqualTo("assigned");
      assertThat(job.getString("leaseOwner")).isEqualTo("crawler-b");
      long requeues = job.getInteger("attempt");
      assertThat(requeues).isEqualTo(2);
    }
  }

  @Test
  @DisplayName("stopping the hub sends shutdown to connected crawlers before it closes their sockets")
  void stopSendsShutdownToCrawlers() throws Exception {
    // GIVEN a hub with a connected crawler
    HubApplication hub = start(testConfig(TestDatabase.freshDatabase()));
    try (LineClient crawler = LineClient.unix(Path.of(hub.config().socketPath()))) {
      crawler.send(msg("hello", null, new JsonObject().put("crawlerId", "crawler-stop")));
      firstOfType(crawler, "welcome");

      // WHEN the hub is stopped (what SIGTERM does)
      var stopping = hub.stop();

      // THEN the crawler is told to shut down gracefully, and the hub stops once it leaves
      JsonObject shutdown = firstOfType(crawler, "shutdown");
      assertThat(shutdown.getJsonObject("data").getBoolean("graceful")).isTrue();
      crawler.close();
      stopping.await(30, TimeUnit.SECONDS);
    }
  }

  @Test
  @DisplayName("a 10,000-entry jobs_discovered over the socket creates every child and fan-out job in one go, and a re-send creates none")
  void largeDiscoveryOverTheSocket() throws Exception {
    // GIVEN a hub that accepts discovery lines of a few MiB and an areas job held by a crawler
    HubApplication hub = start(testConfig(TestDatabase.freshDatabase()).put("maxMessageSize", 8 * 1024 * 1024));
    JobsClient jobs = new JobsClient(hub.vertx());
    String parent = jobs.enqueue(new JsonObject().put("entityType", "areas").put("entityId", "account-1")
        .put("gitlabUrl", "https://gitlab.example.com").put("accessToken", "glpat-secret"))
        .await(30, TimeUnit.SECONDS).getJsonArray("jobs").getJsonObject(0).getString("id");
    JsonArray discovered = new JsonArray();
    for (int i = 0; i < 10_000; i++) {
      discovered.add(new JsonObject().put("job_type", "crawl_project").put("entity_id", 5000 + i)
          .put("namespace_path", "group-" + (i % 50) + "/project-" + i).put("entity_name", "project-" + i));
    }
    JsonObject data = new JsonObject().put("discovered_jobs", discovered)
        .put("discovery_summary", new JsonObject().put("total_projects", 10_000).put("total_groups", 50));

    try (LineClient crawler = LineClient.unix(Path.of(hub.config().socketPath()))) {
      crawler.send(msg("job_request", null, new JsonObject()));
      assertThat(firstOfType(crawler, "job_response").getJsonObject("data").getJsonArray("jobs")).hasSize(1);
      crawler.send(msg("job_started", parent, new JsonObject()));

      // WHEN the crawler reports the discovery (one line of about 1.3 MB), then a barrier
      crawler.send(msg("jobs_discovered", parent, data));
      crawler.send(msg("job_request", null, new JsonObject().put("maxJobs", 0)));
      JsonObject barrier = crawler.readUntil(m -> "job_response".equals(m.getString("type"))
          || "error".equals(m.getString("type")), Duration.ofSeconds(60));

      // THEN it was accepted and every child plus the configured fan-out (5 per project) exists
      assertThat(barrier.getString("type")).as("%s", barrier).isEqualTo("job_response");
      long expected = 1 + 10_000 + 10_000 * 5;
      assertThat(jobs.stats().await(30, TimeUnit.SECONDS).getLong("total")).isEqualTo(expected);

      // AND WHEN the same discovery is sent again THEN nothing new is created
      crawler.send(msg("jobs_discovered", parent, data));
      crawler.send(msg("job_request", null, new JsonObject().put("maxJobs", 0)));
      firstOfType(crawler, "job_response");
      assertThat(jobs.stats().await(30, TimeUnit.SECONDS).getLong("total")).isEqualTo(expected);
    }
  }
}
