package org.crawlerhub.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.crawlerhub.testing.LineClient.msg;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.testing.LineClient;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Every SPEC §5 endpoint against a REAL hub (HubApplication on PostgreSQL, a crawler on the Unix
 * socket), not against fake bus consumers: what the operator sees is what the hub really does.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@DisplayName("The HTTP API against a real hub")
class HttpApiAgainstHubTest {
  static final String TOKEN = "it-admin-token-0123456789";
  RealHub hub;

  @BeforeAll
  void startHub() throws Exception {
    hub = RealHub.start(RealHub.config(TestDatabase.freshDatabase(), TOKEN));
  }

  @AfterAll
  void stopHub() throws Exception {
    if (hub != null) {
      hub.close();
    }
  }

  static JsonObject spec(String entityId) {
    return new JsonObject().put("entityType", "project").put("entityId", entityId)
        .put("gitlabUrl", "https://gitlab.example.com").put("accessToken", "glpat-secret");
  }

  static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  static List<String> ids(JsonArray jobs) {
    List<String> out = new ArrayList<>();
    jobs.forEach(j -> out.add(((JsonObject) j).getString("id")));
    return out;
  }

  /** Claims exactly the given job (highest priority wins the claim) and returns the SimpleJob. */
  static JsonObject claim(LineClient c, String jobId) throws Exception {
    c.send(msg("job_request", null, new JsonObject().put("maxJobs", 1)));
    JsonArray jobs = c.readUntil(m -> "job_response".equals(m.getString("type")), RealHub.WAIT)
        .getJsonObject("data").getJsonArray("jobs");
    assertThat(jobs).hasSize(1);
    assertThat(jobs.getJsonObject(0).getString("id")).isEqualTo(jobId);
    return jobs.getJsonObject(0);
  }

  @Test
  @DisplayName("POST /api/jobs creates one job or an array, returns an open duplicate with 200, refuses a taken id with 409 and names bad fields with 400")
  void enqueueRules() throws Exception {
    // GIVEN a running hub
    String path = unique("grp/enqueue");

    // WHEN one job is posted THEN 201, a Location header and the Job shape without the token
    RealHub.Reply one = hub.post("/api/jobs", spec(path).put("priority", 3).put("metadata", new JsonObject().put("k", "v")));
    assertThat(one.status()).as(one.body()).isEqualTo(201);
    JsonObject job = one.json();
    assertThat(one.raw().headers().firstValue("Location")).hasValue("/api/jobs/" + job.getString("id"));
    assertThat(job.getString("status")).isEqualTo("queued");
    assertThat(job.getInteger("priority")).isEqualTo(3);
    assertThat(job.getInteger("attempt")).isEqualTo(1);
    assertThat(job.getString("entityType")).isEqualTo("project");
    assertThat(job.getString("entityId")).isEqualTo(path);
    assertThat(job.getJsonObject("metadata")).isEqualTo(new JsonObject().put("k", "v"));
    assertThat(job.fieldNames()).contains("id", "status", "priority", "entityType", "entityId", "fullPath",
        "jobType", "command", "gitlabUrl", "accountId", "attempt", "maxAttempts", "leaseOwner", "leaseExpiresAt",
        "spawnedFrom", "resumeState", "progress", "createdAt", "updatedAt", "startedAt", "finishedAt", "metadata");
    assertThat(job.encode()).doesNotContain("glpat-secret").doesNotContain("accessToken");

    // WHEN the same open job is posted again THEN the existing one comes back with 200
    RealHub.Reply dup = hub.post("/api/jobs", spec(path));
    assertThat(dup.status()).as(dup.body()).isEqualTo(200);
    assertThat(dup.json().getString("id")).isEqualTo(job.getString("id"));

    // WHEN an array is posted THEN 201 {"jobs": [...]} in order
    String a = unique("grp/a");
    String b = unique("grp/b");
    RealHub.Reply many = hub.post("/api/jobs", new JsonArray().add(spec(a)).add(spec(b)));
    assertThat(many.status()).as(many.body()).isEqualTo(201);
    JsonArray jobs = many.json().getJsonArray("jobs");
    assertThat(jobs).hasSize(2);
    assertThat(jobs.getJsonObject(0).getString("entityId")).isEqualTo(a);
    assertThat(jobs.getJsonObject(1).getString("entityId")).isEqualTo(b);

    // WHEN a client id is reused THEN 409
    String clientId = unique("client-job");
    assertThat(hub.post("/api/jobs", spec(unique("grp/c")).put("id", clientId)).status()).isEqualTo(201);
    RealHub.Reply taken = hub.post("/api/jobs", spec(unique("grp/d")).put("id", clientId));
    assertThat(taken.status()).as(taken.body()).isEqualTo(409);
    assertThat(taken.json().getString("error")).isNotBlank();

    // WHEN fields are missing or wrong THEN 400 naming every one
    RealHub.Reply bad = hub.post("/api/jobs", new JsonObject().put("entityType", "planet").put("gitlabUrl", "https://g"));
    assertThat(bad.status()).as(bad.body()).isEqualTo(400);
    assertThat(bad.json().getString("error")).isEqualTo("VALIDATION_FAILED");
    assertThat(bad.json().getJsonArray("fields").getList()).contains("entityType", "entityId", "accessToken");
    RealHub.Reply badInArray = hub.post("/api/jobs", new JsonArray().add(spec(unique("ok"))).add(new JsonObject()));
    assertThat(badInArray.status()).isEqualTo(400);
    assertThat(badInArray.json().getString("message")).contains("jobs[1].entityType");
    assertThat(hub.post("/api/jobs", "{not json").status()).isEqualTo(400);
  }

  @Test
  @DisplayName("a job driven by a real crawler shows in the job list, the job detail, the progress views and the SSE stream")
  void jobDrivenByARealCrawler() throws Exception {
    // GIVEN an SSE client and a crawler connected over the Unix socket
    try (SseTestClient sse = new SseTestClient(hub.app.vertx(), hub.port(), Map.of("Authorization", "Bearer " + TOKEN));
         LineClient crawler = hub.crawler("crawler-life")) {
      assertThat(sse.status).isEqualTo(200);
      String path = unique("grp/life");
      JsonObject job = hub.post("/api/jobs", spec(path).put("priority", 900)).json();
      String jobId = job.getString("id");

      // WHEN the crawler claims, starts and reports half the work
      JsonObject simple = claim(crawler, jobId);
      assertThat(simple.getString("accessToken")).isEqualTo("glpat-secret");
      crawler.send(msg("job_started", jobId, new JsonObject().put("entityType", "project").put("entityId", path)));
      crawler.send(msg("job_progress", jobId, new JsonObject().put("stage", "fetching").put("entityType", "issue")
          .put("processed", 40).put("total", 80).put("resumeState", new JsonObject().put("currentPage", 2))));
      RealHub.barrier(crawler);

      // THEN the aggregator's progress is current at once (the router accepted the message)
      JsonObject progress = hub.getJson("/api/progress/" + jobId);
      assertThat(progress.getString("jobId")).isEqualTo(jobId);
      assertThat(progress.getString("stage")).isEqualTo("fetching");
      assertThat(progress.getLong("processed")).isEqualTo(40L);
      assertThat(progress.getLong("total")).isEqualTo(80L);
      assertThat(progress.getDouble("completion")).isEqualTo(0.5);
      assertThat(progress.fieldNames()).contains("elapsedMs", "entities", "milestones", "resumeState", "updatedAt");
      // AND the job list filters by status and crawler
      JsonObject running = hub.getJson("/api/jobs?status=running&crawlerId=crawler-life");
      assertThat(ids(running.getJsonArray("jobs"))).containsExactly(jobId);
      JsonObject runningJob = running.getJsonArray("jobs").getJsonObject(0);
      assertThat(runningJob.getString("leaseOwner")).isEqualTo("crawler-life");
      assertThat(runningJob.getString("leaseExpiresAt")).isNotNull();
      assertThat(runningJob.getString("startedAt")).isNotNull();
      // AND the fleet aggregate counts it as active
      JsonObject agg = hub.getJson("/api/progress");
      assertThat(agg.fieldNames()).contains("totalJobs", "queuedJobs", "activeJobs", "completedJobs", "failedJobs",
          "deadJobs", "overallCompletion", "combinedThroughput", "connectedCrawlers", "updatedAt");
      assertThat(agg.getInteger("activeJobs")).isGreaterThanOrEqualTo(1);
      assertThat(agg.getInteger("connectedCrawlers")).isGreaterThanOrEqualTo(1);

      // WHEN it completes
      crawler.send(msg("job_progress", jobId, new JsonObject().put("stage", "fetching").put("entityType", "issue")
          .put("processed", 80).put("total", 80)));
      crawler.send(msg("job_completed", jobId, new JsonObject().put("success", true)
          .put("finalCounts", new JsonObject().put("issue", 80))));
      RealHub.barrier(crawler);

      // THEN the detail has the job, its progress and its history oldest first
      await().atMost(RealHub.WAIT).untilAsserted(() -> {
        JsonObject detail = hub.getJson("/api/jobs/" + jobId);
        assertThat(detail.getJsonObject("job").getString("status")).isEqualTo("completed");
        assertThat(detail.getJsonObject("job").getString("finishedAt")).isNotNull();
        assertThat(detail.getJsonObject("progress").getDouble("completion")).isEqualTo(1.0);
        JsonArray events = detail.getJsonArray("events");
        List<String> to = new ArrayList<>();
        events.forEach(e -> to.add(((JsonObject) e).getString("to")));
        assertThat(to).containsExactly("queued", "assigned", "running", "completed");
        JsonObject assigned = events.getJsonObject(1);
        assertThat(assigned.fieldNames()).contains("at", "from", "to", "attempt", "crawlerId", "reason");
        assertThat(assigned.getString("from")).isEqualTo("queued");
        assertThat(assigned.getString("crawlerId")).isEqualTo("crawler-life");
        assertThat(Instant.parse(events.getJsonObject(0).getString("at")))
            .isBeforeOrEqualTo(Instant.parse(events.getJsonObject(3).getString("at")));
      });
      // AND cancelling a completed job is an illegal transition
      RealHub.Reply cancel = hub.post("/api/jobs/" + jobId + "/cancel", null);
      assertThat(cancel.status()).as(cancel.body()).isEqualTo(409);
      assertThat(cancel.json().getString("error")).isNotBlank();

      // AND the SSE stream carried lifecycle, progress and connection events, each with an id
      await().atMost(RealHub.WAIT).untilAsserted(() -> {
        List<String> lifecycle = sse.named("job").stream().map(SseTestClient.Event::data)
            .filter(d -> jobId.equals(d.getString("jobId"))).map(d -> d.getString("to")).toList();
        assertThat(lifecycle).containsSubsequence("assigned", "running", "completed");
        assertThat(sse.named("progress").stream().map(SseTestClient.Event::data)
            .anyMatch(d -> jobId.equals(d.getString("jobId")))).isTrue();
        assertThat(sse.named("crawler").stream().map(SseTestClient.Event::data)
            .anyMatch(d -> "crawler-life".equals(d.getString("crawlerId")))).isTrue();
        assertThat(sse.events.stream().filter(e -> e.name() != null && !"reset".equals(e.name())))
            .allMatch(e -> e.id() != null && !e.id().isBlank());
      });
    }
  }

  @Test
  @DisplayName("cancel moves an open job to cancelled, retry requeues it with the next attempt, and unknown jobs are 404")
  void cancelAndRetry() throws Exception {
    // GIVEN a queued job
    String jobId = hub.post("/api/jobs", spec(unique("grp/cancel"))).json().getString("id");
    // WHEN it is cancelled THEN it is cancelled
    RealHub.Reply cancelled = hub.post("/api/jobs/" + jobId + "/cancel", null);
    assertThat(cancelled.status()).as(cancelled.body()).isEqualTo(200);
    assertThat(cancelled.json().getString("status")).isEqualTo("cancelled");
    // WHEN it is retried THEN it is queued again with the next attempt
    RealHub.Reply retried = hub.post("/api/jobs/" + jobId + "/retry", null);
    assertThat(retried.status()).as(retried.body()).isEqualTo(200);
    assertThat(retried.json().getString("status")).isEqualTo("queued");
    assertThat(retried.json().getInteger("attempt")).isGreaterThanOrEqualTo(1);
    // AND a job that never ran shows no work done (or no progress at all)
    RealHub.Reply none = hub.get("/api/progress/" + jobId);
    assertThat(none.status()).as(none.body()).isIn(200, 404);
    if (none.status() == 200) {
      assertThat(none.json().getLong("processed")).isZero();
      assertThat(none.json().getDouble("completion")).isZero();
    }
    assertThat(hub.get("/api/progress/no-such-job").status()).isEqualTo(404);
    // AND a queued job cannot be retried, and unknown jobs are 404
    assertThat(hub.post("/api/jobs/" + jobId + "/retry", null).status()).isEqualTo(409);
    assertThat(hub.get("/api/jobs/no-such-job").status()).isEqualTo(404);
    assertThat(hub.post("/api/jobs/no-such-job/cancel", null).status()).isEqualTo(404);
  }

  @Test
  @DisplayName("GET /api/jobs pages newest first with a cursor and filters by spawnedFrom")
  void listPagingAndSpawnedFrom() throws Exception {
    // GIVEN five jobs and a discovery job that spawned children
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      created.add(hub.post("/api/jobs", spec(unique("grp/page" + i))).json().getString("id"));
    }
    // WHEN the list is read two at a time
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonObject page = hub.getJson("/api/jobs?limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(page.getJsonArray("jobs").size()).isLessThanOrEqualTo(2);
      seen.addAll(ids(page.getJsonArray("jobs")));
      cursor = page.getString("nextCursor");
      pages++;
    } while (cursor != null && pages < 200);
    // THEN every job appears once, newest first
    assertThat(seen).doesNotHaveDuplicates();
    List<String> mine = seen.stream().filter(created::contains).toList();
    List<String> newestFirst = new ArrayList<>(created);
    java.util.Collections.reverse(newestFirst);
    assertThat(mine).containsExactlyElementsOf(newestFirst);
    assertThat(hub.get("/api/jobs?limit=0").status()).isEqualTo(400);
    assertThat(hub.get("/api/jobs?status=sleeping").status()).isEqualTo(400);

    // GIVEN a discovery job run by a crawler that discovers two projects
    try (LineClient crawler = hub.crawler("crawler-discovery")) {
      String parent = hub.post("/api/jobs", spec(unique("acct")).put("entityType", "areas").put("priority", 950))
          .json().getString("id");
      claim(crawler, parent);
      JsonArray discovered = new JsonArray();
      for (int i = 0; i < 2; i++) {
        discovered.add(new JsonObject().put("job_type", "crawl_project").put("entity_id", "10" + i)
            .put("namespace_path", "disc/p" + i + "-" + parent).put("entity_name", "p" + i));
      }
      crawler.send(msg("jobs_discovered", parent, new JsonObject().put("discovered_jobs", discovered)
          .put("discovery_summary", new JsonObject().put("total_projects", 2))));
      RealHub.barrier(crawler);
      // THEN the children are listed by spawnedFrom
      await().atMost(RealHub.WAIT).untilAsserted(() -> {
        JsonArray children = hub.getJson("/api/jobs?spawnedFrom=" + parent + "&limit=500").getJsonArray("jobs");
        assertThat(children.size()).isGreaterThanOrEqualTo(2);
        children.forEach(c -> assertThat(((JsonObject) c).getString("spawnedFrom")).isEqualTo(parent));
      });
    }
  }

  @Test
  @DisplayName("a bad line from a crawler is queryable in /api/errors by category, severity and since")
  void errorsAfterABadLine() throws Exception {
    // GIVEN a crawler
    String since = Instant.now().minusSeconds(1).toString();
    try (LineClient crawler = hub.crawler("crawler-bad")) {
      // WHEN it sends a line that is not JSON
      crawler.sendRaw("{this is not json\n");
      JsonObject error = crawler.readUntil(m -> "error".equals(m.getString("type")), RealHub.WAIT);
      assertThat(error.getJsonObject("data").getString("code")).isEqualTo("INVALID_JSON");
      // THEN the error record is there, filtered by category and since
      await().atMost(RealHub.WAIT).untilAsserted(() -> {
        JsonObject r = hub.getJson("/api/errors?category=message_parsing&since=" + since);
        JsonArray errors = r.getJsonArray("errors");
        assertThat(errors).isNotEmpty();
        JsonObject e = errors.getJsonObject(0);
        assertThat(e.getString("category")).isEqualTo("message_parsing");
        assertThat(e.getString("code")).isEqualTo("INVALID_JSON");
        assertThat(e.getString("crawlerId")).isEqualTo("crawler-bad");
        assertThat(e.fieldNames()).contains("id", "timestamp", "severity", "message", "connectionId");
        String severity = e.getString("severity");
        assertThat(hub.getJson("/api/errors?severity=" + severity + "&category=message_parsing")
            .getJsonArray("errors")).isNotEmpty();
      });
      // AND other categories and a future since do not match it
      assertThat(hub.getJson("/api/errors?category=database&since=" + since).getJsonArray("errors")).isEmpty();
      assertThat(hub.getJson("/api/errors?since=" + Instant.now().plusSeconds(3600)).getJsonArray("errors")).isEmpty();
      assertThat(hub.get("/api/errors?category=weather").status()).isEqualTo(400);
      assertThat(hub.get("/api/errors?since=yesterday").status()).isEqualTo(400);
    }
  }

  @Test
  @DisplayName("status, connections and crawler views count real sockets, and a closed connection leaves them at once")
  void statusAndConnections() throws Exception {
    // GIVEN no connections left over: the other tests close theirs, but the hub sees a close asynchronously
    await().atMost(RealHub.WAIT).untilAsserted(() ->
        assertThat(hub.getJson("/api/status").getInteger("connections")).isZero());
    int before = 0;
    // WHEN a crawler connects and heartbeats
    LineClient crawler = hub.crawler("crawler-status");
    crawler.send(msg("heartbeat", null, new JsonObject().put("activeJobs", 0).put("totalProcessed", 12)
        .put("systemStatus", "processing")));
    RealHub.barrier(crawler);
    // THEN status counts it as numbers
    JsonObject status = hub.getJson("/api/status");
    assertThat(status.getValue("connections")).isInstanceOf(Integer.class);
    assertThat(status.getInteger("connections")).isEqualTo(before + 1);
    assertThat(status.getInteger("activeConnections")).isGreaterThanOrEqualTo(1);
    assertThat(status.getBoolean("running")).isTrue();
    assertThat(status.getString("nodeId")).isNotBlank();
    assertThat(status.encode()).doesNotContain(TOKEN);
    // AND connections lists it with its heartbeat status
    JsonObject conns = hub.getJson("/api/connections");
    assertThat(conns.fieldNames()).contains("total", "active", "idle", "error");
    JsonObject mine = conns.getJsonArray("crawlers").stream().map(o -> (JsonObject) o)
        .filter(c -> "crawler-status".equals(c.getString("crawlerId"))).findFirst().orElseThrow();
    assertThat(mine.getString("systemStatus")).isEqualTo("processing");
    assertThat(mine.fieldNames()).contains("connectionId", "transport", "connectedAt", "lastHeartbeat", "messagesIn",
        "messagesOut", "bytesIn", "bytesOut", "errors");
    // AND the crawler view has connection and progress
    JsonObject view = hub.getJson("/api/crawlers/crawler-status");
    assertThat(view.getBoolean("connected")).isTrue();
    assertThat(view.getJsonObject("connection").getString("crawlerId")).isEqualTo("crawler-status");

    // WHEN it disconnects THEN it leaves the counts at once
    crawler.close();
    await().atMost(RealHub.WAIT).untilAsserted(() ->
        assertThat(hub.getJson("/api/status").getInteger("connections")).isEqualTo(before));
    assertThat(hub.getJson("/api/connections").getJsonArray("crawlers").stream()
        .anyMatch(c -> "crawler-status".equals(((JsonObject) c).getString("crawlerId")))).isFalse();
    assertThat(hub.get("/api/crawlers/crawler-never-seen").status()).isEqualTo(404);
  }

  @Test
  @DisplayName("operator messages reach the crawler (202), a job_assignment marks the job assigned, and broadcast counts recipients")
  void messagesAndBroadcast() throws Exception {
    try (LineClient one = hub.crawler("crawler-msg-1"); LineClient two = hub.crawler("crawler-msg-2")) {
      // WHEN a shutdown is sent to one crawler THEN 202 delivered and it receives it
      RealHub.Reply sent = hub.post("/api/crawlers/crawler-msg-1/messages", new JsonObject().put("type", "shutdown")
          .put("data", new JsonObject().put("graceful", true).put("reason", "maintenance")));
      assertThat(sent.status()).as(sent.body()).isEqualTo(202);
      assertThat(sent.json().getBoolean("delivered")).isTrue();
      JsonObject got = one.readUntil(m -> "shutdown".equals(m.getString("type")), RealHub.WAIT);
      assertThat(got.getJsonObject("data").getString("reason")).isEqualTo("maintenance");
      assertThat(got.getString("timestamp")).isNotBlank();

      // WHEN the crawler is not connected THEN 404; an invalid message THEN 400
      assertThat(hub.post("/api/crawlers/nobody-here/messages", new JsonObject().put("type", "shutdown")
          .put("data", new JsonObject())).status()).isEqualTo(404);
      RealHub.Reply invalid = hub.post("/api/crawlers/crawler-msg-1/messages", new JsonObject().put("type", "teleport")
          .put("data", new JsonObject()));
      assertThat(invalid.status()).as(invalid.body()).isEqualTo(400);

      // WHEN a job_assignment is sent for a queued job THEN the crawler gets it and the job is assigned to it
      String jobId = hub.post("/api/jobs", spec(unique("grp/assign"))).json().getString("id");
      RealHub.Reply assign = hub.post("/api/crawlers/crawler-msg-2/messages", new JsonObject().put("type", "job_assignment")
          .put("data", new JsonObject().put("job_id", jobId).put("job_type", "crawl_project")
              .put("gitlab_host", "gitlab.example.com").put("access_token", "glpat-secret")));
      assertThat(assign.status()).as(assign.body()).isEqualTo(202);
      JsonObject assignment = two.readUntil(m -> "job_assignment".equals(m.getString("type")), RealHub.WAIT);
      assertThat(assignment.getJsonObject("data").getString("job_id")).isEqualTo(jobId);
      JsonObject job = hub.getJson("/api/jobs/" + jobId).getJsonObject("job");
      assertThat(job.getString("status")).isEqualTo("assigned");
      assertThat(job.getString("leaseOwner")).isEqualTo("crawler-msg-2");

      // WHEN the same job is assigned again (it is no longer queued) THEN 409 and nothing is sent
      RealHub.Reply again = hub.post("/api/crawlers/crawler-msg-1/messages", new JsonObject().put("type", "job_assignment")
          .put("data", new JsonObject().put("job_id", jobId).put("job_type", "crawl_project")
              .put("gitlab_host", "gitlab.example.com").put("access_token", "glpat-secret")));
      assertThat(again.status()).as(again.body()).isEqualTo(409);
      assertThat(hub.getJson("/api/jobs/" + jobId).getJsonObject("job").getString("leaseOwner")).isEqualTo("crawler-msg-2");
      RealHub.Reply noJobId = hub.post("/api/crawlers/crawler-msg-1/messages", new JsonObject().put("type", "job_assignment")
          .put("data", new JsonObject().put("job_type", "crawl_project").put("gitlab_host", "g").put("access_token", "t")));
      assertThat(noJobId.status()).as(noJobId.body()).isEqualTo(400);
      assertThat(noJobId.json().getString("message")).contains("job_id");

      // WHEN a message is broadcast THEN every connected crawler is a recipient and receives it
      int connected = hub.getJson("/api/status").getInteger("connections");
      RealHub.Reply bc = hub.post("/api/broadcast", new JsonObject().put("type", "shutdown")
          .put("data", new JsonObject().put("graceful", true).put("reason", "fleet-restart")));
      assertThat(bc.status()).as(bc.body()).isEqualTo(202);
      assertThat(bc.json().getInteger("recipients")).isEqualTo(connected).isGreaterThanOrEqualTo(2);
      assertThat(two.readUntil(m -> "shutdown".equals(m.getString("type")), RealHub.WAIT)
          .getJsonObject("data").getString("reason")).isEqualTo("fleet-restart");
      assertThat(hub.post("/api/broadcast", new JsonObject().put("type", "nope").put("data", new JsonObject()))
          .status()).isEqualTo(400);
      // AND an assignment cannot be broadcast (it would reach nobody: a job goes to one crawler)
      RealHub.Reply broadcastAssignment = hub.post("/api/broadcast", new JsonObject().put("type", "job_assignment")
          .put("data", new JsonObject().put("job_id", jobId).put("job_type", "crawl_project")
              .put("gitlab_host", "gitlab.example.com").put("access_token", "t")));
      assertThat(broadcastAssignment.status()).as(broadcastAssignment.body()).isEqualTo(400);
    }
  }

  @Test
  @DisplayName("/api requires the admin token or a session cookie, while /health, /ready and /metrics stay open")
  void authentication() throws Exception {
    // WHEN /api is called without a token THEN 401 with the JSON error
    HttpResponse<String> anon = hub.http.send(HttpRequest.newBuilder(hub.uri("/api/status")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(anon.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(anon.body()).getString("error")).isEqualTo("UNAUTHENTICATED");
    HttpResponse<String> wrong = hub.http.send(HttpRequest.newBuilder(hub.uri("/api/status"))
        .header("Authorization", "Bearer wrong").build(), HttpResponse.BodyHandlers.ofString());
    assertThat(wrong.statusCode()).isEqualTo(401);
    // AND the open endpoints answer without one
    for (String open : List.of("/health", "/ready", "/metrics")) {
      HttpResponse<String> r = hub.http.send(HttpRequest.newBuilder(hub.uri(open)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as("%s -> %s", open, r.body()).isEqualTo(200);
    }
    // WHEN a session is opened with the token THEN its cookie authorises /api
    HttpResponse<String> session = hub.http.send(HttpRequest.newBuilder(hub.uri("/api/session"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("token", TOKEN).encode())).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(session.statusCode()).isEqualTo(200);
    String setCookie = session.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(setCookie).containsIgnoringCase("HttpOnly").containsIgnoringCase("SameSite=Strict");
    String cookie = setCookie.split(";", 2)[0];
    HttpResponse<String> withCookie = hub.http.send(HttpRequest.newBuilder(hub.uri("/api/status"))
        .header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(withCookie.statusCode()).isEqualTo(200);
    HttpResponse<String> badSession = hub.http.send(HttpRequest.newBuilder(hub.uri("/api/session"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"token\":\"nope\"}")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(badSession.statusCode()).isEqualTo(401);
  }

  @Test
  @DisplayName("/health is up, /ready is 200 and /metrics exposes the hub meters with sensible values")
  void healthReadyMetrics() throws Exception {
    // GIVEN some traffic: one job through a crawler
    try (LineClient crawler = hub.crawler("crawler-metrics")) {
      String jobId = hub.post("/api/jobs", spec(unique("grp/metrics")).put("priority", 990)).json().getString("id");
      claim(crawler, jobId);
      crawler.send(msg("job_started", jobId, new JsonObject().put("entityType", "project").put("entityId", "x")));
      crawler.send(msg("job_completed", jobId, new JsonObject().put("success", true).put("finalCounts", new JsonObject())));
      RealHub.barrier(crawler);
      // THEN health and readiness
      JsonObject health = hub.getJson("/health");
      assertThat(health.getString("status")).isEqualTo("UP");
      JsonObject ready = hub.getJson("/ready");
      assertThat(ready.getString("status")).isEqualTo("UP");
      // AND the hub meters
      await().atMost(RealHub.WAIT).untilAsserted(() -> {
        String metrics = hub.get("/metrics").body();
        assertThat(metrics).contains("hub_messages_in_total", "hub_job_transitions_total", "hub_connections");
        assertThat(sum(metrics, "hub_messages_in_total")).isGreaterThanOrEqualTo(4);
        assertThat(sum(metrics, "hub_job_transitions_total")).isGreaterThanOrEqualTo(3);
        assertThat(sum(metrics, "hub_connections{")).isEqualTo((double) hub.getJson("/api/status").getInteger("connections"));
        assertThat(metrics).contains("hub_messages_out_total", "hub_router_messages_total", "hub_jobs_queue");
        assertThat(sum(metrics, "hub_messages_out_total{type=\"job_response\"")).isGreaterThanOrEqualTo(2);
        assertThat(sum(metrics, "hub_jobs_queue{status=\"completed\"")).isGreaterThanOrEqualTo(1);
        assertThat(sum(metrics, "hub_job_transitions_total{from=\"running\",to=\"completed\"")).isGreaterThanOrEqualTo(1);
        assertThat(sum(metrics, "hub_job_request_seconds_count")).isGreaterThanOrEqualTo(1);
        assertThat(metrics).contains("hub_job_request_seconds_bucket{le=");
        // each database pool under its own name (the claim went through the jobs service's)
        assertThat(sum(metrics, "vertx_pool_usage_seconds_count{pool_name=\"jobs\"")).isGreaterThanOrEqualTo(1);
        assertThat(metrics).doesNotContain("pool_name=\"__vertx.DEFAULT\",pool_type=\"sql\"");
      });
    }
  }

  /** Sum of every sample of a metric family in Prometheus text (lines starting with {@code name}). */
  static double sum(String text, String name) {
    double total = 0;
    for (String line : text.split("\n")) {
      if (line.startsWith(name) && (name.endsWith("{") || name.endsWith("\"") || line.charAt(name.length()) == '{'
          || line.charAt(name.length()) == ' ')) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }
}
