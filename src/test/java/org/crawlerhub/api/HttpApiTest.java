package org.crawlerhub.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
@DisplayName("The HTTP API")
class HttpApiTest {
  static HubHttpFixture hub;

  @BeforeAll
  static void start() throws Exception {
    hub = HubHttpFixture.withToken();
    hub.services.connect("crawler-1").await(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    hub.close();
  }

  static HttpRequest<Buffer> authed(HttpRequest<Buffer> r) {
    return r.putHeader("Authorization", "Bearer " + HubHttpFixture.TOKEN);
  }

  static HttpResponse<Buffer> get(String path) throws Exception {
    return authed(hub.client.get(path)).send().await(15, TimeUnit.SECONDS);
  }

  static HttpResponse<Buffer> post(String path, Object body) throws Exception {
    HttpRequest<Buffer> r = authed(hub.client.post(path));
    return (body == null ? r.send() : r.sendBuffer(Buffer.buffer(body instanceof String s ? s
        : io.vertx.core.json.Json.encode(body)))).await(15, TimeUnit.SECONDS);
  }

  static void assertError(HttpResponse<Buffer> r, int status, String code) {
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
    assertThat(r.getHeader("Content-Type")).startsWith("application/json");
    assertThat(r.bodyAsJsonObject().getString("error")).isEqualTo(code);
    assertThat(r.bodyAsJsonObject().getString("message")).isNotBlank();
  }

  static JsonObject job(String entityId) {
    return new JsonObject().put("entityType", "project").put("entityId", entityId)
        .put("gitlabUrl", "https://gitlab.example.com").put("accessToken", "glpat-secret");
  }

  @Nested
  @DisplayName("probes and metrics")
  class Probes {
    @Test
    @DisplayName("/health answers 200 UP without any token")
    void healthIsOpen() throws Exception {
      // WHEN an unauthenticated liveness probe arrives
      HttpResponse<Buffer> r = hub.client.get("/health").send().await(10, TimeUnit.SECONDS);
      // THEN it is UP
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.bodyAsJsonObject().getString("status")).isEqualTo("UP");
    }

    @Test
    @DisplayName("/ready is 200 with per-check detail while the database answers, 503 naming the failed check when not")
    void readinessFollowsTheDatabase() throws Exception {
      // GIVEN the jobs service answers its stats (the database is reachable)
      HttpResponse<Buffer> up = hub.client.get("/ready").send().await(10, TimeUnit.SECONDS);
      // THEN ready, with every check listed
      assertThat(up.statusCode()).as(up.bodyAsString()).isEqualTo(200);
      JsonObject body = up.bodyAsJsonObject();
      assertThat(body.getString("status")).as(body.encode()).isEqualTo("UP");
      assertThat(body.getString("outcome")).as(body.encode()).isEqualTo("UP");
      assertThat(body.getJsonArray("checks").stream().map(c -> ((JsonObject) c).getString("id")))
          .containsExactlyInAnyOrder("database", "listeners", "cluster");
      // WHEN the database stops answering
      hub.services.databaseUp = false;
      try {
        HttpResponse<Buffer> down = hub.client.get("/ready").send().await(10, TimeUnit.SECONDS);
        // THEN 503, and the database check is the one DOWN
        assertThat(down.statusCode()).isEqualTo(503);
        JsonObject db = down.bodyAsJsonObject().getJsonArray("checks").stream().map(JsonObject.class::cast)
            .filter(c -> "database".equals(c.getString("id"))).findFirst().orElseThrow();
        assertThat(db.getString("status")).isEqualTo("DOWN");
        assertThat(db.getJsonObject("data").getString("error")).contains("jobs service");
      } finally {
        hub.services.databaseUp = true;
      }
    }

    @Test
    @DisplayName("/metrics serves Prometheus text including the hub's SSE meter")
    void metricsArePrometheusText() throws Exception {
      // WHEN Prometheus scrapes
      HttpResponse<Buffer> r = hub.client.get("/metrics").send().await(10, TimeUnit.SECONDS);
      // THEN it gets the text exposition format with Vert.x and hub meters
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.getHeader("Content-Type")).contains("text/plain");
      assertThat(r.bodyAsString()).contains("# TYPE").contains("hub_sse_clients_total");
    }

    @Test
    @DisplayName("the dashboard is served at / with a strict content security policy")
    void dashboardIsServed() throws Exception {
      HttpResponse<Buffer> r = hub.client.get("/").send().await(10, TimeUnit.SECONDS);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.bodyAsString()).contains("<title>Crawler Hub");
      assertThat(r.getHeader("Content-Security-Policy")).contains("default-src 'self'");
    }
  }

  @Nested
  @DisplayName("authentication")
  class Authentication {
    @Test
    @DisplayName("/api/** answers 401 without a token and with a wrong one, 200 with the admin token")
    void bearerTokenIsRequired() throws Exception {
      HttpResponse<Buffer> none = hub.client.get("/api/status").send().await(10, TimeUnit.SECONDS);
      assertError(none, 401, "UNAUTHENTICATED");
      assertThat(none.getHeader("WWW-Authenticate")).startsWith("Bearer");
      HttpResponse<Buffer> wrong = hub.client.get("/api/status").putHeader("Authorization", "Bearer nope")
          .send().await(10, TimeUnit.SECONDS);
      assertError(wrong, 401, "UNAUTHENTICATED");
      assertThat(get("/api/status").statusCode()).isEqualTo(200);
    }

    @Test
    @DisplayName("POST /api/session sets an HttpOnly SameSite=Strict cookie that replaces the bearer header")
    void sessionCookieWorks() throws Exception {
      // GIVEN a wrong token is refused
      HttpResponse<Buffer> wrong = hub.client.post("/api/session")
          .sendJsonObject(new JsonObject().put("token", "guess")).await(10, TimeUnit.SECONDS);
      assertError(wrong, 401, "UNAUTHENTICATED");
      assertThat(wrong.cookies()).isEmpty();
      // WHEN the right token is posted
      HttpResponse<Buffer> ok = hub.client.post("/api/session")
          .sendJsonObject(new JsonObject().put("token", HubHttpFixture.TOKEN)).await(10, TimeUnit.SECONDS);
      // THEN a hardened cookie comes back, without the token in it
      assertThat(ok.statusCode()).isEqualTo(200);
      String setCookie = ok.cookies().get(0);
      assertThat(setCookie).startsWith(AdminAuth.COOKIE + "=").containsIgnoringCase("HttpOnly").containsIgnoringCase("SameSite=Strict")
          .doesNotContain(HubHttpFixture.TOKEN);
      String cookie = setCookie.substring(0, setCookie.indexOf(';'));
      // AND it opens /api/** in place of the header, while a tampered one does not
      HttpResponse<Buffer> withCookie = hub.client.get("/api/status").putHeader("Cookie", cookie)
          .send().await(10, TimeUnit.SECONDS);
      assertThat(withCookie.statusCode()).isEqualTo(200);
      HttpResponse<Buffer> tampered = hub.client.get("/api/status").putHeader("Cookie", cookie + "x")
          .send().await(10, TimeUnit.SECONDS);
      assertError(tampered, 401, "UNAUTHENTICATED");
    }

    @Test
    @DisplayName("POST /api/session without a token string answers 400 naming the field")
    void sessionNeedsAToken() throws Exception {
      HttpResponse<Buffer> r = hub.client.post("/api/session").sendJsonObject(new JsonObject())
          .await(10, TimeUnit.SECONDS);
      assertError(r, 400, "VALIDATION_FAILED");
      assertThat(r.bodyAsJsonObject().getJsonArray("fields")).containsExactly("token");
    }
  }

  @Nested
  @DisplayName("status and crawlers")
  class StatusAndCrawlers {
    @Test
    @DisplayName("GET /api/status and /api/connections relay ServerStatus and ConnectionStats")
    void statusAndConnections() throws Exception {
      JsonObject status = get("/api/status").bodyAsJsonObject();
      assertThat(status.getBoolean("running")).isTrue();
      assertThat(status.getValue("connections")).isInstanceOf(Number.class);
      assertThat(status.getValue("activeConnections")).isInstanceOf(Number.class);
      JsonObject conns = get("/api/connections").bodyAsJsonObject();
      assertThat(conns.getInteger("total")).isGreaterThanOrEqualTo(1);
      assertThat(conns.getJsonArray("crawlers").getJsonObject(0).getString("crawlerId")).isEqualTo("crawler-1");
    }

    @Test
    @DisplayName("GET /api/crawlers/{id} merges connection and progress, 404 for an unknown crawler")
    void crawlerDetail() throws Exception {
      HttpResponse<Buffer> r = get("/api/crawlers/crawler-1");
      assertThat(r.statusCode()).isEqualTo(200);
      JsonObject c = r.bodyAsJsonObject();
      assertThat(c.getBoolean("connected")).isTrue();
      assertThat(c.getJsonObject("connection").getString("transport")).isEqualTo("unix");
      assertThat(c.getJsonObject("progress").getDouble("rate")).isEqualTo(12.5);
      assertError(get("/api/crawlers/ghost"), 404, "NOT_FOUND");
      assertThat(get("/api/crawlers").bodyAsJsonObject().getJsonArray("crawlers")).hasSize(1);
    }

    @Test
    @DisplayName("POST /api/crawlers/{id}/messages delivers a valid message (202) with its timestamp filled in")
    void messageDelivered() throws Exception {
      // WHEN an operator sends a shutdown to a connected crawler
      HttpResponse<Buffer> r = post("/api/crawlers/crawler-1/messages", new JsonObject().put("type", "shutdown")
          .put("data", new JsonObject().put("graceful", true)));
      // THEN it is accepted and the crawler's outbound address got it, timestamped
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(202);
      assertThat(r.bodyAsJsonObject()).isEqualTo(new JsonObject().put("delivered", true));
      JsonObject sent = hub.services.delivered.get(hub.services.delivered.size() - 1);
      assertThat(sent.getString("type")).isEqualTo("shutdown");
      assertThat(Instant.parse(sent.getString("timestamp"))).isBeforeOrEqualTo(Instant.now());
    }

    @Test
    @DisplayName("an invalid crawler message answers 400 naming the field, and nothing is sent")
    void invalidMessageRejected() throws Exception {
      int before = hub.services.delivered.size();
      HttpResponse<Buffer> noData = post("/api/crawlers/crawler-1/messages", new JsonObject().put("type", "shutdown"));
      assertError(noData, 400, "VALIDATION_FAILED");
      assertThat(noData.bodyAsJsonObject().getJsonArray("fields")).containsExactly("data");
      HttpResponse<Buffer> inbound = post("/api/crawlers/crawler-1/messages", new JsonObject()
          .put("type", "heartbeat").put("data", new JsonObject()));
      assertError(inbound, 400, "UNKNOWN_TYPE");
      assertThat(inbound.bodyAsJsonObject().getJsonArray("fields")).containsExactly("type");
      assertError(post("/api/crawlers/crawler-1/messages", "{not json"), 400, "INVALID_JSON");
      assertThat(hub.services.delivered).hasSize(before);
    }

    @Test
    @DisplayName("a message for a crawler that is connected nowhere answers 404")
    void messageToUnknownCrawler() throws Exception {
      HttpResponse<Buffer> r = post("/api/crawlers/nobody/messages", new JsonObject().put("type", "shutdown")
          .put("data", new JsonObject()));
      assertError(r, 404, "NOT_CONNECTED");
    }

    @Test
    @DisplayName("POST /api/broadcast publishes to every crawler and reports the recipient count (202)")
    void broadcast() throws Exception {
      HttpResponse<Buffer> r = post("/api/broadcast", new JsonObject().put("type", "shutdown")
          .put("data", new JsonObject().put("reason", "maintenance")));
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(202);
      assertThat(r.bodyAsJsonObject().getInteger("recipients")).isEqualTo(hub.services.connections.size());
      org.awaitility.Awaitility.await().atMost(5, TimeUnit.SECONDS)
          .until(() -> hub.services.broadcasts.stream().anyMatch(b -> b.getJsonObject("data")
              .getString("reason", "").equals("maintenance")));
      assertError(post("/api/broadcast", new JsonObject().put("type", "shutdown")), 400, "VALIDATION_FAILED");
    }
  }

  @Nested
  @DisplayName("jobs")
  class Jobs {
    @Test
    @DisplayName("POST /api/jobs creates one job (201 + Location) and returns the open job for a duplicate (200)")
    void createOne() throws Exception {
      // WHEN a job is posted
      HttpResponse<Buffer> r = post("/api/jobs", job("group/alpha"));
      // THEN 201 with the Job and where to find it, never the access token
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
      JsonObject created = r.bodyAsJsonObject();
      assertThat(created.getString("status")).isEqualTo("queued");
      assertThat(r.getHeader("Location")).isEqualTo("/api/jobs/" + created.getString("id"));
      assertThat(r.bodyAsString()).doesNotContain("glpat-secret");
      // WHEN the same open job is posted again
      HttpResponse<Buffer> again = post("/api/jobs", job("group/alpha"));
      // THEN the existing job comes back with 200
      assertThat(again.statusCode()).isEqualTo(200);
      assertThat(again.bodyAsJsonObject().getString("id")).isEqualTo(created.getString("id"));
    }

    @Test
    @DisplayName("POST /api/jobs with an array answers {jobs:[…]} (201); an existing client id is a 409")
    void createMany() throws Exception {
      HttpResponse<Buffer> r = post("/api/jobs", new JsonArray().add(job("group/b1").put("id", "client-b1"))
          .add(job("group/b2")));
      assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(201);
      assertThat(r.bodyAsJsonObject().getJsonArray("jobs")).hasSize(2);
      HttpResponse<Buffer> dup = post("/api/jobs", job("group/b3").put("id", "client-b1"));
      assertError(dup, 409, "CONFLICT");
    }

    @Test
    @DisplayName("POST /api/jobs with bad fields answers 400 listing every field at fault")
    void createInvalid() throws Exception {
      HttpResponse<Buffer> r = post("/api/jobs", new JsonObject().put("entityType", "planet").put("entityId", "x")
          .put("gitlabUrl", "ftp://nope").put("priority", "high"));
      assertError(r, 400, "VALIDATION_FAILED");
      assertThat(r.bodyAsJsonObject().getJsonArray("fields"))
          .containsExactly("entityType", "accessToken", "gitlabUrl", "priority");
      HttpResponse<Buffer> inArray = post("/api/jobs", new JsonArray().add(job("ok")).add(new JsonObject()));
      assertError(inArray, 400, "VALIDATION_FAILED");
      assertThat(inArray.bodyAsJsonObject().getJsonArray("fields")).contains("jobs[1].entityType");
      assertError(post("/api/jobs", new JsonArray()), 400, "VALIDATION_FAILED");
      assertError(post("/api/jobs", "[{"), 400, "INVALID_JSON");
    }

    @Test
    @DisplayName("a body over the configured limit answers 413")
    void bodyLimit() throws Exception {
      String big = job("big").put("metadata", new JsonObject().put("blob", "x".repeat(100_000))).encode();
      HttpResponse<Buffer> r = post("/api/jobs", big);
      assertError(r, 413, "PAYLOAD_TOO_LARGE");
    }

    @Test
    @DisplayName("GET /api/jobs filters by status, pages with limit and cursor, and rejects bad parameters")
    void listJobs() throws Exception {
      for (int i = 0; i < 3; i++) {
        post("/api/jobs", job("group/list-" + i));
      }
      JsonObject page1 = get("/api/jobs?status=queued&limit=2").bodyAsJsonObject();
      assertThat(page1.getJsonArray("jobs")).hasSize(2);
      assertThat(page1.getString("nextCursor")).isNotNull();
      JsonObject page2 = get("/api/jobs?status=queued&limit=2&cursor=" + page1.getString("nextCursor"))
          .bodyAsJsonObject();
      assertThat(page2.getJsonArray("jobs")).isNotEmpty();
      assertThat(get("/api/jobs?status=running").bodyAsJsonObject().getJsonArray("jobs")).isEmpty();
      assertThat(get("/api/jobs?status=running").bodyAsJsonObject().containsKey("nextCursor")).isTrue();
      HttpResponse<Buffer> badStatus = get("/api/jobs?status=sleeping");
      assertError(badStatus, 400, "VALIDATION_FAILED");
      assertThat(badStatus.bodyAsJsonObject().getJsonArray("fields")).containsExactly("status");
      HttpResponse<Buffer> badLimit = get("/api/jobs?limit=501");
      assertThat(badLimit.bodyAsJsonObject().getJsonArray("fields")).containsExactly("limit");
    }

    @Test
    @DisplayName("GET /api/jobs/{id} returns the job with its progress and event history, 404 when unknown")
    void getJob() throws Exception {
      String id = post("/api/jobs", job("group/detail")).bodyAsJsonObject().getString("id");
      hub.services.progress.put(id, new JsonObject().put("jobId", id).put("stage", "fetching")
          .put("processed", 5).put("total", 10).put("completion", 0.5));
      JsonObject detail = get("/api/jobs/" + id).bodyAsJsonObject();
      assertThat(detail.getJsonObject("job").getString("id")).isEqualTo(id);
      assertThat(detail.getJsonObject("progress").getDouble("completion")).isEqualTo(0.5);
      assertThat(detail.getJsonArray("events").getJsonObject(0).getString("to")).isEqualTo("queued");
      assertError(get("/api/jobs/does-not-exist"), 404, "NOT_FOUND");
    }

    @Test
    @DisplayName("cancel and retry follow the lifecycle; illegal transitions answer 409")
    void cancelAndRetry() throws Exception {
      String id = post("/api/jobs", job("group/cancel-me")).bodyAsJsonObject().getString("id");
      HttpResponse<Buffer> retryQueued = post("/api/jobs/" + id + "/retry", null);
      assertError(retryQueued, 409, "ILLEGAL_TRANSITION");
      HttpResponse<Buffer> cancel = post("/api/jobs/" + id + "/cancel", null);
      assertThat(cancel.statusCode()).isEqualTo(200);
      assertThat(cancel.bodyAsJsonObject().getString("status")).isEqualTo("cancelled");
      assertError(post("/api/jobs/" + id + "/cancel", null), 409, "ILLEGAL_TRANSITION");
      HttpResponse<Buffer> retry = post("/api/jobs/" + id + "/retry", null);
      assertThat(retry.bodyAsJsonObject().getString("status")).isEqualTo("queued");
      assertError(post("/api/jobs/nope/cancel", null), 404, "NOT_FOUND");
    }
  }

  @Nested
  @DisplayName("progress and errors")
  class ProgressAndErrors {
    @Test
    @DisplayName("GET /api/progress is the fleet aggregate, /api/progress/{jobId} one job's progress or 404")
    void progress() throws Exception {
      hub.services.aggregate = new JsonObject().put("totalJobs", 3).put("activeJobs", 1)
          .put("combinedThroughput", 42.0);
      hub.services.progress.put("p-1", new JsonObject().put("jobId", "p-1").put("processed", 1));
      assertThat(get("/api/progress").bodyAsJsonObject().getDouble("combinedThroughput")).isEqualTo(42.0);
      assertThat(get("/api/progress/p-1").bodyAsJsonObject().getInteger("processed")).isEqualTo(1);
      assertError(get("/api/progress/p-404"), 404, "NOT_FOUND");
    }

    @Test
    @DisplayName("GET /api/errors filters by category, severity and since; bad filters answer 400 naming them")
    void errors() throws Exception {
      hub.services.errors.add(new JsonObject().put("id", "e1").put("timestamp", "2025-01-01T00:00:00Z")
          .put("category", "database").put("severity", "high").put("message", "old"));
      hub.services.errors.add(new JsonObject().put("id", "e2").put("timestamp", Instant.now().toString())
          .put("category", "database").put("severity", "high").put("message", "new"));
      JsonObject r = get("/api/errors?category=database&severity=high&since=2025-06-01T00:00:00Z").bodyAsJsonObject();
      assertThat(r.getJsonArray("errors").stream().map(e -> ((JsonObject) e).getString("id"))).containsExactly("e2");
      assertThat(r.getJsonObject("stats")).isNotNull();
      for (String bad : new String[] {"category=weather", "severity=apocalyptic", "since=yesterday"}) {
        HttpResponse<Buffer> resp = get("/api/errors?" + bad);
        assertError(resp, 400, "VALIDATION_FAILED");
        assertThat(resp.bodyAsJsonObject().getJsonArray("fields")).containsExactly(bad.substring(0, bad.indexOf('=')));
      }
    }

    @Test
    @DisplayName("an unknown /api path answers a JSON 404")
    void unknownEndpoint() throws Exception {
      assertError(get("/api/nothing-here"), 404, "NOT_FOUND");
    }
  }
}
