package org.crawlerhub.errors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.metrics.HubMetrics;
import org.crawlerhub.progress.MutableClock;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ErrorManagerVerticleTest {
  private static String dbUrl;

  private Vertx vertx;
  private MutableClock clock;
  private final List<JsonObject> records = new CopyOnWriteArrayList<>();
  private final List<JsonObject> alerts = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void database() {
    dbUrl = TestDatabase.freshDatabase();
  }

  @BeforeEach
  void setUp() {
    vertx = Vertx.vertx(new VertxOptions().setMaxEventLoopExecuteTime(200).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS));
    clock = new MutableClock(Instant.now());
    TestDatabase.exec(dbUrl, "DELETE FROM job_errors");
    sync(vertx.eventBus().<JsonObject>consumer(Addresses.ERRORS, m -> records.add(m.body())).completion());
    sync(vertx.eventBus().<JsonObject>consumer(Addresses.ERRORS_ALERTS, m -> alerts.add(m.body())).completion());
  }

  @AfterEach
  void tearDown() {
    sync(vertx.close());
  }

  static <T> T sync(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new IllegalStateException(e);
    }
  }

  private static HubConfig config(JsonObject alerts) {
    return HubConfig.fromJson(new JsonObject().put("nodeId", "node-e")
        .put("database", new JsonObject().put("url", dbUrl))
        .put("retryAttempts", 3).put("retryDelay", 1000).put("retryMaxDelay", 3000)
        .put("cleanupInterval", 1000).put("maxErrorLogAge", 3_600_000)
        .put("alerts", new JsonObject().put("window", 60_000).put("cooldown", 300_000).put("defaultThreshold", 1000)
            .put("thresholds", new JsonObject().put("timeout", 5)).mergeIn(alerts)));
  }

  private void deploy(JsonObject alerts) {
    sync(vertx.deployVerticle(new ErrorManagerVerticle(config(alerts), clock)));
  }

  private JsonObject report(JsonObject body) {
    Message<JsonObject> m = sync(vertx.eventBus().request(Addresses.ERRORS_REPORT, body));
    return m.body();
  }

  private JsonObject query(JsonObject q) {
    Message<JsonObject> m = sync(vertx.eventBus().request(Addresses.ERRORS_QUERY, q));
    return m.body();
  }

  private JsonObject recordFor(String code) {
    await().until(() -> records.stream().anyMatch(r -> code.equals(r.getString("code"))));
    return records.stream().filter(r -> code.equals(r.getString("code"))).findFirst().orElseThrow();
  }

  @Test
  @DisplayName("every error source becomes a record with the right category and severity on hub.errors")
  void everySourceBecomesARecord() {
    // GIVEN an error manager
    deploy(new JsonObject());
    // WHEN the router reports a rejection, a job fails, a lease expires, and connections misbehave
    report(new JsonObject().put("code", "VALIDATION_FAILED").put("message", "data.stage: required").put("source", "router")
        .put("crawlerId", "c1").put("connectionId", "conn-1").put("refType", "job_progress").put("at", Instant.now().toString()));
    JsonObject failed = new JsonObject().put("jobId", "job-1").put("from", "running").put("to", "failed").put("attempt", 1)
        .put("maxAttempts", 4).put("crawlerId", "c1").put("at", Instant.now().toString()).put("reason", "job_failed")
        .put("details", new JsonObject().put("recoverable", false).put("error", "project deleted").put("errorType", "not_found"));
    vertx.eventBus().publish(Addresses.JOB_EVENTS, failed);
    vertx.eventBus().publish(Addresses.JOB_EVENTS, new JsonObject().put("jobId", "job-2").put("from", "running")
        .put("to", "queued").put("attempt", 2).put("crawlerId", "c2").put("reason", "lease_expired"));
    for (String event : List.of("heartbeat_timeout", "rejected", "error", "connected")) {
      vertx.eventBus().publish(Addresses.CRAWLER_EVENTS, new JsonObject().put("event", event).put("connectionId", "conn-9")
          .put("crawlerId", "c9").put("nodeId", "node-e").put("code", event.equals("rejected") ? "UNAUTHENTICATED" : null));
    }
    // THEN each record carries its classification and context
    JsonObject validation = recordFor("VALIDATION_FAILED");
    assertThat(validation.getString("category")).isEqualTo("message_validation");
    assertThat(validation.getString("severity")).isEqualTo("low");
    assertThat(validation.getString("crawlerId")).isEqualTo("c1");
    assertThat(validation.getString("connectionId")).isEqualTo("conn-1");
    assertThat(validation.getJsonObject("details").getString("refType")).isEqualTo("job_progress");
    assertThat(validation.getString("id")).isNotBlank();
    assertThat(validation.getString("timestamp")).isNotBlank();
    JsonObject jobFailed = recordFor(ErrorClassifier.JOB_FAILED);
    assertThat(jobFailed.getString("category")).isEqualTo("job_processing");
    assertThat(jobFailed.getString("severity")).isEqualTo("high");
    assertThat(jobFailed.getString("jobId")).isEqualTo("job-1");
    assertThat(jobFailed.getString("message")).contains("project deleted");
    assertThat(recordFor(ErrorClassifier.LEASE_EXPIRED).getString("category")).isEqualTo("timeout");
    assertThat(recordFor(ErrorClassifier.HEARTBEAT_TIMEOUT).getString("category")).isEqualTo("timeout");
    JsonObject rejected = recordFor("UNAUTHENTICATED");
    assertThat(rejected.getString("category")).isEqualTo("authentication");
    assertThat(rejected.getString("severity")).isEqualTo("high");
    assertThat(recordFor(ErrorClassifier.CONNECTION_ERROR).getString("category")).isEqualTo("connection");
    await().during(Duration.ofMillis(200)).until(() -> records.size() == 6);
    // AND the error counter is tagged by category and severity
    Counter c = HubMetrics.registry().find(HubMetrics.ERRORS).tag("category", "message_validation").tag("severity", "low").counter();
    assertThat(c).isNotNull();
    assertThat(c.count()).isPositive();
  }

  @Test
  @DisplayName("a burst over a category's threshold raises exactly one alert per cool-down")
  void oneAlertPerCooldown() {
    // GIVEN a threshold of 5 timeouts per minute and a 5-minute cool-down
    deploy(new JsonObject());
    // WHEN 30 timeouts arrive in a burst
    for (int i = 0; i < 30; i++) {
      report(new JsonObject().put("category", "timeout").put("message", "GitLab API timed out").put("source", "crawler")
          .put("crawlerId", "c" + (i % 3)));
    }
    // THEN one threshold_exceeded alert is raised
    await().until(() -> alerts.size() == 1);
    JsonObject alert = alerts.get(0);
    assertThat(alert.getString("type")).isEqualTo("threshold_exceeded");
    assertThat(alert.getString("category")).isEqualTo("timeout");
    assertThat(alert.getLong("count")).isEqualTo(5L);
    assertThat(alert.getInteger("threshold")).isEqualTo(5);
    // AND other categories under their threshold raise none
    report(new JsonObject().put("category", "network").put("message", "ECONNRESET"));
    await().during(Duration.ofMillis(300)).until(() -> alerts.size() == 1);
    // WHEN the cool-down has passed and another burst comes
    clock.advance(Duration.ofMinutes(5).plusSeconds(1));
    for (int i = 0; i < 10; i++) {
      report(new JsonObject().put("category", "timeout").put("message", "GitLab API timed out"));
    }
    // THEN exactly one more alert follows
    await().until(() -> alerts.size() == 2);
    await().during(Duration.ofMillis(300)).until(() -> alerts.size() == 2);
    assertThat(HubMetrics.registry().find(HubMetrics.ALERTS).tag("category", "timeout").counter().count()).isGreaterThanOrEqualTo(2.0);
  }

  @Test
  @DisplayName("the alert webhook receives the alert as JSON and is retried when it fails")
  void webhookReceivesAlert() {
    // GIVEN a webhook receiver that fails its first request
    List<JsonObject> received = new CopyOnWriteArrayList<>();
    AtomicInteger calls = new AtomicInteger();
    HttpServer server = sync(vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      received.add(body.toJsonObject());
      req.response().setStatusCode(calls.incrementAndGet() == 1 ? 503 : 204).end();
    })).listen(0, "127.0.0.1"));
    deploy(new JsonObject().put("webhookUrl", "http://127.0.0.1:" + server.actualPort() + "/hooks/alerts"));
    // WHEN a burst crosses the threshold
    for (int i = 0; i < 6; i++) {
      report(new JsonObject().put("category", "timeout").put("message", "lease expired"));
    }
    // THEN the receiver gets the alert, a second time after its failure
    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 2);
    assertThat(received.get(1).getString("type")).isEqualTo("threshold_exceeded");
    assertThat(received.get(1).getString("category")).isEqualTo("timeout");
    assertThat(received.get(1)).isEqualTo(received.get(0));
  }

  @Test
  @DisplayName("failed jobs get a retry-policy request: backoff when recoverable, dead otherwise")
  void retryPolicyRequests() {
    // GIVEN a fake jobs verticle on hub.jobs.retry-policy (retryDelay 1 s, cap 3 s, 4 attempts)
    List<JsonObject> decisions = new CopyOnWriteArrayList<>();
    sync(vertx.eventBus().<JsonObject>consumer(Addresses.JOBS_APPLY_RETRY_POLICY, m -> {
      decisions.add(m.body());
      m.reply(new JsonObject().put("job", new JsonObject().put("id", m.body().getString("jobId"))));
    }).completion());
    deploy(new JsonObject());
    // WHEN jobs fail in various ways
    fail("r1", 1, 4, true);
    fail("r2", 2, 4, true);
    fail("r3", 3, 4, true);
    fail("r4", 4, 4, true);
    fail("r5", 1, 4, false);
    // THEN the decisions follow the policy
    await().until(() -> decisions.size() == 5);
    assertThat(decision(decisions, "r1")).isEqualTo(expected("r1", 1, "retry", 1000));
    assertThat(decision(decisions, "r2")).isEqualTo(expected("r2", 2, "retry", 2000));
    assertThat(decision(decisions, "r3")).isEqualTo(expected("r3", 3, "retry", 3000));
    assertThat(decision(decisions, "r4")).isEqualTo(expected("r4", 4, "dead", 0));
    assertThat(decision(decisions, "r5")).isEqualTo(expected("r5", 1, "dead", 0));
  }

  @Test
  @DisplayName("a retry decision the job store cannot take now (503: PostgreSQL down) is asked again until it is applied")
  void retryDecisionSurvivesAnOutage() {
    // GIVEN a fake jobs verticle whose job store is unavailable for the first three requests
    List<JsonObject> asked = new CopyOnWriteArrayList<>();
    sync(vertx.eventBus().<JsonObject>consumer(Addresses.JOBS_APPLY_RETRY_POLICY, m -> {
      asked.add(m.body());
      if (asked.size() <= 3) {
        m.fail(503, "UNAVAILABLE: the job store is not available (PostgreSQL 57P03: the database system is starting up)");
      } else {
        m.reply(new JsonObject().put("job", new JsonObject().put("id", m.body().getString("jobId"))));
      }
    }).completion());
    deploy(new JsonObject());

    // WHEN a job fails for good meanwhile
    fail("o1", 1, 4, false);

    // THEN the same decision is asked again (250, 500, 1000 ms apart) until it is applied, then no more
    await().atMost(Duration.ofSeconds(10)).until(() -> asked.size() == 4);
    assertThat(asked).allSatisfy(d -> assertThat(decision(List.of(d), "o1")).isEqualTo(expected("o1", 1, "dead", 0)));
    await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(4)).until(() -> asked.size() == 4);
  }

  @Test
  @DisplayName("a retry decision refused because the job moved on (409) is not asked again")
  void refusedDecisionIsNotRepeated() {
    // GIVEN a fake jobs verticle that refuses every decision as a conflict
    List<JsonObject> asked = new CopyOnWriteArrayList<>();
    sync(vertx.eventBus().<JsonObject>consumer(Addresses.JOBS_APPLY_RETRY_POLICY, m -> {
      asked.add(m.body());
      m.fail(409, "CONFLICT: job o2 is queued, not failed at attempt 1");
    }).completion());
    deploy(new JsonObject());

    // WHEN a job fails
    fail("o2", 1, 4, true);

    // THEN the decision is asked once
    await().atMost(Duration.ofSeconds(5)).until(() -> asked.size() == 1);
    await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3)).until(() -> asked.size() == 1);
  }

  private void fail(String jobId, int attempt, int maxAttempts, boolean recoverable) {
    vertx.eventBus().publish(Addresses.JOB_EVENTS, new JsonObject().put("jobId", jobId).put("from", "running")
        .put("to", "failed").put("attempt", attempt).put("maxAttempts", maxAttempts).put("crawlerId", "c1")
        .put("at", Instant.now().toString()).put("reason", "job_failed")
        .put("details", new JsonObject().put("recoverable", recoverable).put("error", "boom").put("errorType", "x")));
  }

  private static JsonObject decision(List<JsonObject> decisions, String jobId) {
    JsonObject d = decisions.stream().filter(x -> jobId.equals(x.getString("jobId"))).findFirst().orElseThrow().copy();
    d.remove("reason");
    return d;
  }

  private static JsonObject expected(String jobId, int attempt, String action, long delayMs) {
    return new JsonObject().put("jobId", jobId).put("attempt", attempt).put("action", action).put("delayMs", delayMs);
  }

  @Test
  @DisplayName("errors are persisted to job_errors and queryable with filters, newest first, with stats")
  void persistedAndQueryable() {
    // GIVEN an error manager
    deploy(new JsonObject());
    // WHEN crawlers report errors of several kinds over time
    Instant t = Instant.now().minusSeconds(120);
    for (int i = 0; i < 6; i++) {
      report(new JsonObject().put("code", "VALIDATION_FAILED").put("message", "bad field " + i).put("crawlerId", "c1")
          .put("jobId", "job-" + (i % 2)).put("at", t.plusSeconds(i).toString()));
    }
    report(new JsonObject().put("category", "database").put("message", "connection refused").put("source", "persistence")
        .put("at", t.plusSeconds(10).toString()));
    // THEN a query for one crawler's validation errors returns them newest first
    JsonObject answer = query(new JsonObject().put("category", "message_validation").put("crawlerId", "c1").put("limit", 4));
    JsonArray errors = answer.getJsonArray("errors");
    assertThat(errors).hasSize(4);
    assertThat(errors.getJsonObject(0).getString("message")).isEqualTo("bad field 5");
    assertThat(errors.getJsonObject(3).getString("message")).isEqualTo("bad field 2");
    assertThat(errors.getJsonObject(0).getString("source")).isNull();
    JsonObject stats = answer.getJsonObject("stats");
    assertThat(stats.getLong("totalErrors")).isEqualTo(6L);
    assertThat(stats.getJsonObject("bySeverity").getLong("low")).isEqualTo(6L);
    assertThat(stats.getJsonArray("topErrors").getJsonObject(0).getString("code")).isEqualTo("VALIDATION_FAILED");
    assertThat(stats.getJsonArray("trend")).hasSize(ErrorManagerVerticle.TREND_MINUTES);
    assertThat(stats.getDouble("ratePerMinute")).isPositive();
    // AND the unfiltered stats cover every category; a job filter narrows to that job
    JsonObject all = query(new JsonObject()).getJsonObject("stats");
    assertThat(all.getLong("totalErrors")).isEqualTo(7L);
    assertThat(all.getJsonObject("byCategory").getLong("database")).isEqualTo(1L);
    assertThat(query(new JsonObject().put("jobId", "job-1")).getJsonArray("errors")).hasSize(3);
    JsonObject db = query(new JsonObject().put("severity", "high")).getJsonArray("errors").getJsonObject(0);
    assertThat(db.getString("category")).isEqualTo("database");
    assertThat(db.getString("source")).isEqualTo("persistence");
    assertThat(db.getBoolean("retryable")).isTrue();
    assertThat(query(new JsonObject().put("since", t.plusSeconds(4).toString())).getJsonArray("errors")).hasSize(3);
  }

  @Test
  @DisplayName("with PostgreSQL unreachable errors are still classified and published, and queries answer 503")
  void databaseDown() throws Exception {
    // GIVEN a database URL nobody listens on
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    HubConfig cfg = HubConfig.fromJson(config(new JsonObject()).toJson()
        .put("database", new JsonObject().put("url", "postgresql://postgres@127.0.0.1:" + port + "/nowhere")));
    sync(vertx.deployVerticle(new ErrorManagerVerticle(cfg, clock)));
    // WHEN an error is reported
    JsonObject ack = report(new JsonObject().put("code", "INVALID_JSON").put("message", "line 1: unexpected token"));
    // THEN it is classified and published anyway
    assertThat(ack.getString("category")).isEqualTo("message_parsing");
    recordFor("INVALID_JSON");
    // AND a query says the log is unavailable rather than hanging
    assertThatThrownBy(() -> query(new JsonObject()))
        .isInstanceOfSatisfying(ReplyException.class, e -> assertThat(e.failureCode()).isEqualTo(503));
  }

  @Test
  @DisplayName("query parameters may come as strings, and a malformed one is answered 400")
  void queryParameters() {
    // GIVEN two errors
    deploy(new JsonObject());
    report(new JsonObject().put("category", "network").put("message", "one").put("at", Instant.now().minusSeconds(5).toString()));
    report(new JsonObject().put("category", "network").put("message", "two"));
    // WHEN limit and since come as strings (as from an HTTP query) THEN they are honoured
    assertThat(query(new JsonObject().put("limit", "1")).getJsonArray("errors")).hasSize(1);
    String since = String.valueOf(Instant.now().minusSeconds(2).toEpochMilli());
    assertThat(query(new JsonObject().put("since", since)).getJsonArray("errors")).hasSize(1);
    // WHEN since is not a time THEN the query fails with 400 VALIDATION_FAILED
    assertThatThrownBy(() -> query(new JsonObject().put("since", "last tuesday")))
        .isInstanceOfSatisfying(ReplyException.class, e -> {
          assertThat(e.failureCode()).isEqualTo(400);
          assertThat(e.getMessage()).startsWith("VALIDATION_FAILED");
        });
  }

  @Test
  @DisplayName("error records older than maxErrorLogAge are pruned every cleanupInterval")
  void oldErrorsArePruned() {
    // GIVEN an error older than the hour errors are kept, and a fresh one
    deploy(new JsonObject());
    report(new JsonObject().put("category", "network").put("message", "old").put("at", Instant.now().minus(Duration.ofHours(2)).toString()));
    report(new JsonObject().put("category", "network").put("message", "fresh").put("at", Instant.now().toString()));
    assertThat(query(new JsonObject()).getJsonArray("errors")).hasSize(2);
    // WHEN the cleanup runs THEN only the fresh one is left
    await().atMost(Duration.ofSeconds(10)).until(() -> query(new JsonObject()).getJsonArray("errors").size() == 1);
    assertThat(query(new JsonObject()).getJsonArray("errors").getJsonObject(0).getString("message")).isEqualTo("fresh");
  }
}
