package org.crawlerhub.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.crawlerhub.router.RouterTestSupport.NODE;
import static org.crawlerhub.router.RouterTestSupport.await;
import static org.crawlerhub.router.RouterTestSupport.config;
import static org.crawlerhub.router.RouterTestSupport.crawlerEvent;
import static org.crawlerhub.router.RouterTestSupport.envelope;
import static org.crawlerhub.router.RouterTestSupport.heartbeat;
import static org.crawlerhub.router.RouterTestSupport.jobProgress;
import static org.crawlerhub.router.RouterTestSupport.jobRequest;

import io.micrometer.core.instrument.Counter;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.bus.Addresses.Headers;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.metrics.HubMetrics;
import org.crawlerhub.router.RouterTestSupport.Gateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RouterVerticleTest {
  private Vertx vertx;
  private Gateway gateway;

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx(new VertxOptions().setMaxEventLoopExecuteTime(200)
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS));
    gateway = new Gateway(vertx);
  }

  @AfterEach
  void stopVertx() {
    await(vertx.close());
  }

  private void deployRouter(HubConfig cfg) {
    await(RouterVerticle.deploy(vertx, cfg));
  }

  private static JsonObject only(JsonArray frames) {
    assertThat(frames).hasSize(1);
    return frames.getJsonObject(0);
  }

  private static void assertErrorFrame(JsonObject frame, String code, String refType) {
    assertThat(frame.getString("type")).isEqualTo("error");
    assertThat(frame.getString("timestamp")).isNotBlank();
    assertThat(frame.getJsonObject("data").getString("code")).isEqualTo(code);
    assertThat(frame.getJsonObject("data").getString("message")).isNotBlank();
    if (refType != null) {
      assertThat(frame.getJsonObject("data").getString("refType")).isEqualTo(refType);
    }
  }

  /** A stand-in for the jobs verticle: answers every command with {@code reply(command)}. */
  private List<Message<JsonObject>> fakeJobs(java.util.function.Function<JsonObject, JsonObject> reply) {
    List<Message<JsonObject>> seen = new ArrayList<>();
    await(vertx.eventBus().<JsonObject>consumer(Addresses.JOBS_COMMAND, m -> {
      seen.add(m);
      m.reply(reply.apply(m.body()));
    }).completion());
    return seen;
  }

  private <T> Future<Message<T>> firstOn(String address) {
    Promise<Message<T>> p = Promise.promise();
    await(vertx.eventBus().<T>consumer(address, p::tryComplete).completion());
    return p.future();
  }

  // ------------------------------------------------------------------ validation and bad input

  @Test
  @DisplayName("validation rejects a lifecycle message without jobId with MISSING_JOB_ID and bad envelopes with VALIDATION_FAILED")
  void validationRejectsWithExactCodes() {
    // GIVEN a router
    deployRouter(config());
    // WHEN job_started comes without jobId, THEN MISSING_JOB_ID naming the type
    assertErrorFrame(only(await(gateway.send("c1", "crawler-1",
        envelope("job_started", null, new JsonObject())))), "MISSING_JOB_ID", "job_started");
    // WHEN a heartbeat comes without data, THEN VALIDATION_FAILED naming the field
    JsonObject noData = new JsonObject().put("type", "heartbeat").put("timestamp", "t");
    JsonObject frame = only(await(gateway.send("c1", "crawler-1", noData)));
    assertErrorFrame(frame, "VALIDATION_FAILED", "heartbeat");
    assertThat(frame.getJsonObject("data").getString("message")).contains("data");
    // WHEN a message has no type, THEN VALIDATION_FAILED
    assertErrorFrame(only(await(gateway.send("c1", "crawler-1", new JsonObject().put("data", new JsonObject())))),
        "VALIDATION_FAILED", null);
  }

  @Test
  @DisplayName("a job_request or token_refresh_request rejected by validation still gets the answer the crawler waits for, before the error")
  void rejectedRequestsStillGetTheirAnswer() {
    // GIVEN a router
    deployRouter(config());
    // WHEN a job_request with a negative maxJobs comes
    JsonArray frames = await(gateway.send("c1", "crawler-1",
        envelope("job_request", null, new JsonObject().put("maxJobs", -1))));
    // THEN an empty job_response comes first, then the VALIDATION_FAILED error
    assertThat(frames).hasSize(2);
    assertThat(frames.getJsonObject(0).getString("type")).isEqualTo("job_response");
    assertThat(frames.getJsonObject(0).getJsonObject("data").getJsonArray("jobs")).isEmpty();
    assertErrorFrame(frames.getJsonObject(1), "VALIDATION_FAILED", "job_request");
    // AND a token_refresh_request without jobId gets a failed token_refresh_response, then MISSING_JOB_ID
    JsonArray refresh = await(gateway.send("c1", "crawler-1", envelope("token_refresh_request", null, new JsonObject())));
    assertThat(refresh).hasSize(2);
    assertThat(refresh.getJsonObject(0).getString("type")).isEqualTo("token_refresh_response");
    assertThat(refresh.getJsonObject(0).getJsonObject("data").getBoolean("refreshSuccessful")).isFalse();
    assertThat(refresh.getJsonObject(1).getString("type")).isEqualTo("error");
  }

  @Test
  @DisplayName("unknown, outbound-only and hello types are rejected with UNKNOWN_TYPE, a non-object body with NOT_AN_OBJECT")
  void badInputNeverCrashes() {
    // GIVEN a router
    deployRouter(config());
    // WHEN odd messages arrive, THEN each gets exactly one error frame with the right code
    assertErrorFrame(only(await(gateway.send("c1", "x", envelope("bogus", null, new JsonObject())))),
        "UNKNOWN_TYPE", "bogus");
    assertErrorFrame(only(await(gateway.send("c1", "x", envelope("job_response", null, new JsonObject())))),
        "UNKNOWN_TYPE", "job_response");
    JsonObject hello = envelope("hello", null, new JsonObject().put("crawlerId", "crawler-7")
        .put("version", "1.4.2").put("capabilities", new JsonArray().add("areas")).put("token", "t"));
    assertErrorFrame(only(await(gateway.send("c1", "x", hello))), "UNKNOWN_TYPE", "hello");
    assertErrorFrame(only(await(gateway.sendTo(Addresses.inboundPartition(0), "c1", "x", "not json"))),
        "NOT_AN_OBJECT", null);
    // AND the router still works afterwards
    assertThat(await(gateway.send("c1", "x", heartbeat("idle", 0, 0)))).isEmpty();
  }

  // ------------------------------------------------------------------ heartbeat

  @Test
  @DisplayName("heartbeats reach the aggregators in batches: the latest per connection, a few times a second")
  void heartbeatBatches() {
    // GIVEN a router and a listener on the heartbeat batches
    deployRouter(config());
    java.util.List<JsonObject> batches = new java.util.concurrent.CopyOnWriteArrayList<>();
    await(vertx.eventBus().<JsonObject>consumer(Addresses.CRAWLER_HEARTBEATS, m -> batches.add(m.body()))
        .completion());

    // WHEN two crawlers heartbeat, one of them three times
    await(gateway.send("c1", "crawler-1", heartbeat("idle", 0, 1)));
    await(gateway.send("c1", "crawler-1", heartbeat("idle", 0, 2)));
    await(gateway.send("c2", "crawler-2", heartbeat("processing", 1, 5)));
    await(gateway.send("c1", "crawler-1", heartbeat("processing", 2, 3)));

    // THEN the batches (usually one) carry each connection at most once, with where it came from,
    // and the latest heartbeat of each connection is the last one it sent
    java.util.Map<String, JsonObject> latest = new java.util.HashMap<>();
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).untilAsserted(() -> {
      latest.clear();
      for (JsonObject b : batches) {
        java.util.Set<String> inBatch = new java.util.HashSet<>();
        for (Object o : b.getJsonArray("heartbeats")) {
          JsonObject hb = (JsonObject) o;
          assertThat(inBatch.add(hb.getString("connectionId"))).as("one entry per connection per batch").isTrue();
          latest.put(hb.getString("connectionId"), hb);
        }
      }
      assertThat(latest).containsOnlyKeys("c1", "c2");
      assertThat(latest.get("c1").getJsonObject("envelope").getJsonObject("data").getLong("totalProcessed"))
          .isEqualTo(3L);
    });
    assertThat(latest.get("c1").getString("crawlerId")).isEqualTo("crawler-1");
    assertThat(latest.get("c1").getString("nodeId")).isNotBlank();
    assertThat(latest.get("c2").getString("crawlerId")).isEqualTo("crawler-2");
    // AND without new heartbeats no further batch is published
    int seen = batches.size();
    org.awaitility.Awaitility.await().during(java.time.Duration.ofMillis(3 * Addresses.HEARTBEAT_BATCH_MS))
        .atMost(java.time.Duration.ofSeconds(5)).until(() -> batches.size() == seen);
  }

  @Test
  @DisplayName("heartbeats are accepted without frames and the crawler's status is queryable until it disconnects")
  void heartbeatState() {
    // GIVEN a router
    deployRouter(config());
    // WHEN crawler-7 sends a heartbeat
    JsonArray frames = await(gateway.send("c7", "crawler-7", heartbeat("processing", 2, 1500)));
    // THEN nothing is sent back
    assertThat(frames).isEmpty();
    // AND its status is kept
    JsonObject all = await(vertx.eventBus().<JsonObject>request(RouterAddresses.CRAWLERS, new JsonObject()))
        .body().getJsonObject("crawlers");
    JsonObject c7 = all.getJsonObject("crawler-7");
    assertThat(c7.getString("systemStatus")).isEqualTo("processing");
    assertThat(c7.getInteger("activeJobs")).isEqualTo(2);
    assertThat(c7.getLong("totalProcessed")).isEqualTo(1500L);
    assertThat(c7.getJsonObject("memoryUsage").getInteger("rss")).isEqualTo(1234);
    assertThat(c7.getInteger("uptime")).isEqualTo(99);
    assertThat(c7.getString("connectionId")).isEqualTo("c7");
    assertThat(c7.getString("lastHeartbeat")).endsWith("Z");
    // WHEN a newer heartbeat arrives, THEN it replaces the old status
    await(gateway.send("c7", "crawler-7", heartbeat("idle", 0, 1600)));
    JsonObject one = await(vertx.eventBus().<JsonObject>request(RouterAddresses.CRAWLERS,
        new JsonObject().put("crawlerId", "crawler-7"))).body().getJsonObject("crawler");
    assertThat(one.getString("systemStatus")).isEqualTo("idle");
    assertThat(one.getLong("totalProcessed")).isEqualTo(1600L);
    // WHEN an older connection of the same crawler disconnects, THEN the status is kept
    await(gateway.publishEvent(crawlerEvent("disconnected", "c-old", "crawler-7")));
    await(gateway.send("c8", "crawler-8", heartbeat("idle", 0, 0)));
    assertThat(await(vertx.eventBus().<JsonObject>request(RouterAddresses.CRAWLERS, new JsonObject()))
        .body().getJsonObject("crawlers").fieldNames()).contains("crawler-7");
    // WHEN its connection disconnects, THEN the status is dropped
    await(gateway.publishEvent(crawlerEvent("disconnected", "c7", "crawler-7")));
    await(gateway.send("c8", "crawler-8", heartbeat("idle", 0, 0)));
    assertThat(await(vertx.eventBus().<JsonObject>request(RouterAddresses.CRAWLERS, new JsonObject()))
        .body().getJsonObject("crawlers").fieldNames()).containsExactly("crawler-8");
  }

  // ------------------------------------------------------------------ forwarding to jobs

  @Test
  @DisplayName("job messages are forwarded to hub.jobs.command with the same headers and its frames come back")
  void forwardsToJobs() {
    // GIVEN a router and a jobs service that hands out one job
    deployRouter(config());
    JsonObject job = new JsonObject().put("id", "j1").put("entityType", "project").put("entityId", "g/p")
        .put("gitlabUrl", "https://gitlab.example").put("accessToken", "glpat-x");
    List<Message<JsonObject>> seen = fakeJobs(cmd -> new JsonObject().put("frames", new JsonArray()
        .add(new JsonObject().put("type", "job_response").put("timestamp", "t")
            .put("data", new JsonObject().put("jobs", new JsonArray().add(job))))));
    // WHEN crawler-3 asks for a job
    JsonArray frames = await(gateway.send("c3", "crawler-3", jobRequest(1)));
    // THEN it gets the jobs service's job_response
    assertThat(only(frames).getJsonObject("data").getJsonArray("jobs").getJsonObject(0).getString("id"))
        .isEqualTo("j1");
    // AND the jobs service saw the envelope with the gateway's headers
    Message<JsonObject> cmd = seen.get(0);
    assertThat(cmd.body().getString("type")).isEqualTo("job_request");
    assertThat(cmd.headers().get(Headers.CONNECTION_ID)).isEqualTo("c3");
    assertThat(cmd.headers().get(Headers.CRAWLER_ID)).isEqualTo("crawler-3");
    assertThat(cmd.headers().get(Headers.NODE_ID)).isEqualTo(NODE);
    assertThat(cmd.headers().get(Headers.TRANSPORT)).isEqualTo("unix");
  }

  @Test
  @DisplayName("an error reply from the jobs service becomes an error frame with its code and is reported")
  void jobsErrorReplyBecomesErrorFrame() {
    // GIVEN a router, an error-report consumer and a jobs service that refuses a stale lease
    deployRouter(config());
    Future<Message<JsonObject>> report = firstOn(Addresses.ERRORS_REPORT);
    fakeJobs(cmd -> new JsonObject().put("error", new JsonObject().put("code", "STALE_LEASE")
        .put("message", "job j9 is leased to crawler-2 (attempt 2)")));
    // WHEN crawler-1 reports progress on that job
    JsonObject frame = only(await(gateway.send("c1", "crawler-1", jobProgress("j9", 10))));
    // THEN it gets STALE_LEASE for that job
    assertErrorFrame(frame, "STALE_LEASE", "job_progress");
    assertThat(frame.getString("jobId")).isEqualTo("j9");
    assertThat(frame.getJsonObject("data").getString("message")).contains("crawler-2");
    // AND the rejection is reported with category and severity from the code
    JsonObject r = await(report).body();
    assertThat(r.getString("code")).isEqualTo("STALE_LEASE");
    assertThat(r.getString("category")).isEqualTo("job_processing");
    assertThat(r.getString("severity")).isEqualTo("medium");
    assertThat(r.getString("jobId")).isEqualTo("j9");
  }

  @Test
  @DisplayName("a failed reply 'CODE: message' from the jobs service keeps its code")
  void jobsRecipientFailureKeepsCode() {
    // GIVEN a jobs service that fails the request with an ILLEGAL_TRANSITION
    deployRouter(config());
    await(vertx.eventBus().<JsonObject>consumer(Addresses.JOBS_COMMAND,
        m -> m.fail(409, "ILLEGAL_TRANSITION: job j1 is completed")).completion());
    // WHEN a crawler completes that job again
    JsonObject frame = only(await(gateway.send("c1", "crawler-1", envelope("job_completed", "j1",
        new JsonObject().put("success", true).put("finalCounts", new JsonObject())))));
    // THEN the error frame carries ILLEGAL_TRANSITION
    assertErrorFrame(frame, "ILLEGAL_TRANSITION", "job_completed");
    assertThat(frame.getJsonObject("data").getString("message")).isEqualTo("job j1 is completed");
  }

  @Test
  @DisplayName("without a jobs service, job_request still gets exactly one empty job_response plus an INTERNAL error")
  void noJobsService() {
    // GIVEN a router and no consumer on hub.jobs.command
    deployRouter(config());
    // WHEN a crawler asks for jobs
    JsonArray frames = await(gateway.send("c1", "crawler-1", jobRequest(5)));
    // THEN one empty job_response, then one INTERNAL error
    assertThat(frames).hasSize(2);
    assertThat(frames.getJsonObject(0).getString("type")).isEqualTo("job_response");
    assertThat(frames.getJsonObject(0).getJsonObject("data").getJsonArray("jobs")).isEmpty();
    assertErrorFrame(frames.getJsonObject(1), "INTERNAL", "job_request");
    assertThat(frames.getJsonObject(1).getJsonObject("data").getString("message"))
        .startsWith("job service unavailable: ");
    // WHEN a lifecycle message arrives, THEN only an INTERNAL error
    assertErrorFrame(only(await(gateway.send("c1", "crawler-1", envelope("job_started", "j1",
        new JsonObject().put("entityType", "issue").put("entityId", "1"))))), "INTERNAL", "job_started");
    // WHEN a token refresh is asked, THEN a failed token_refresh_response (SPEC: always answered), then the error
    JsonArray refresh = await(gateway.send("c1", "crawler-1", envelope("token_refresh_request", "j1",
        new JsonObject().put("current_token_expired", true))));
    assertThat(refresh).hasSize(2);
    JsonObject trr = refresh.getJsonObject(0);
    assertThat(trr.getString("type")).isEqualTo("token_refresh_response");
    assertThat(trr.getString("jobId")).isEqualTo("j1");
    assertThat(trr.getJsonObject("data").getBoolean("refreshSuccessful")).isFalse();
    assertThat(trr.getJsonObject("data").getString("accessToken")).isEmpty();
    assertErrorFrame(refresh.getJsonObject(1), "INTERNAL", "token_refresh_request");
  }

  // ------------------------------------------------------------------ publishes and reports

  @Test
  @DisplayName("an accepted message is published on hub.crawler.message.<type> with the same headers")
  void acceptedMessagesArePublished() {
    // GIVEN a router publishing every type, a jobs service accepting progress and a subscriber
    deployRouter(config(new JsonObject().put("unpublishedMessageTypes", new JsonArray())));
    fakeJobs(cmd -> new JsonObject().put("frames", new JsonArray()));
    Future<Message<JsonObject>> progress = firstOn(Addresses.message("job_progress"));
    Future<Message<JsonObject>> beat = firstOn(Addresses.message("heartbeat"));
    // WHEN progress and a heartbeat are accepted
    assertThat(await(gateway.send("c5", "crawler-5", jobProgress("j5", 42)))).isEmpty();
    assertThat(await(gateway.send("c5", "crawler-5", heartbeat("processing", 1, 42)))).isEmpty();
    // THEN both are published with the envelope and headers
    Message<JsonObject> p = await(progress);
    assertThat(p.body().getString("jobId")).isEqualTo("j5");
    assertThat(p.body().getJsonObject("data").getInteger("processed")).isEqualTo(42);
    assertThat(p.headers().get(Headers.CONNECTION_ID)).isEqualTo("c5");
    assertThat(p.headers().get(Headers.CRAWLER_ID)).isEqualTo("crawler-5");
    assertThat(p.headers().get(Headers.NODE_ID)).isEqualTo(NODE);
    assertThat(p.headers().get(Headers.TRANSPORT)).isEqualTo("unix");
    assertThat(await(beat).body().getJsonObject("data").getString("systemStatus")).isEqualTo("processing");
  }

  @Test
  @DisplayName("job_progress is not published on hub.crawler.message.<type> by default, every other accepted type is")
  void progressIsNotPublishedByDefault() {
    // GIVEN a router with the default configuration and subscribers on one context (in-order delivery)
    deployRouter(config());
    List<String> seen = subscribe("job_progress", "heartbeat", "job_completed");
    fakeJobs(cmd -> new JsonObject().put("frames", new JsonArray()));
    // WHEN it accepts progress, a heartbeat and then a job_completed
    assertThat(await(gateway.send("c1", "crawler-1", jobProgress("j1", 42)))).isEmpty();
    assertThat(await(gateway.send("c1", "crawler-1", heartbeat("processing", 1, 42)))).isEmpty();
    assertThat(await(gateway.send("c1", "crawler-1", envelope("job_completed", "j1",
        new JsonObject().put("success", true).put("finalCounts", new JsonObject()))))).isEmpty();
    // THEN the heartbeat and job_completed are published, the progress is not
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("job_completed"));
    assertThat(seen).containsExactly("heartbeat", "job_completed");
  }

  @Test
  @DisplayName("unpublishedMessageTypes names the types left out of hub.crawler.message.<type>")
  void unpublishedTypesAreConfigured() {
    // GIVEN a router leaving heartbeats out (and so publishing job_progress)
    deployRouter(config(new JsonObject().put("unpublishedMessageTypes", new JsonArray().add("heartbeat"))));
    List<String> seen = subscribe("job_progress", "heartbeat", "job_completed");
    fakeJobs(cmd -> new JsonObject().put("frames", new JsonArray()));
    // WHEN it accepts a heartbeat, progress and then a job_completed
    assertThat(await(gateway.send("c1", "crawler-1", heartbeat("processing", 1, 42)))).isEmpty();
    assertThat(await(gateway.send("c1", "crawler-1", jobProgress("j1", 42)))).isEmpty();
    assertThat(await(gateway.send("c1", "crawler-1", envelope("job_completed", "j1",
        new JsonObject().put("success", true).put("finalCounts", new JsonObject()))))).isEmpty();
    // THEN only the heartbeat is missing
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> seen.contains("job_completed"));
    assertThat(seen).containsExactly("job_progress", "job_completed");
  }

  /** The types published on {@code hub.crawler.message.<type>}, in delivery order (one context for all). */
  private List<String> subscribe(String... types) {
    List<String> seen = new CopyOnWriteArrayList<>();
    Context ctx = vertx.getOrCreateContext();
    await(Future.<Void>future(p -> ctx.runOnContext(v -> {
      List<Future<Void>> registered = new ArrayList<>();
      for (String t : types) {
        registered.add(vertx.eventBus().<JsonObject>consumer(Addresses.message(t), m -> seen.add(t)).completion());
      }
      Future.all(registered).<Void>mapEmpty().onComplete(p);
    })));
    return seen;
  }

  @Test
  @DisplayName("a rejection is sent to hub.errors.report with code, category, severity and who sent it")
  void rejectionsAreReported() {
    // GIVEN a router and an error-report consumer
    deployRouter(config());
    Future<Message<JsonObject>> report = firstOn(Addresses.ERRORS_REPORT);
    // WHEN a job_failed without jobId arrives
    await(gateway.send("c2", "crawler-2", envelope("job_failed", null,
        new JsonObject().put("error", "x").put("isRecoverable", false))));
    // THEN one report describes it
    JsonObject r = await(report).body();
    assertThat(r.getString("code")).isEqualTo("MISSING_JOB_ID");
    assertThat(r.getString("category")).isEqualTo("message_validation");
    assertThat(r.getString("severity")).isEqualTo("low");
    assertThat(r.getString("message")).contains("jobId");
    assertThat(r.getString("source")).isEqualTo("router");
    assertThat(r.getString("crawlerId")).isEqualTo("crawler-2");
    assertThat(r.getString("connectionId")).isEqualTo("c2");
    assertThat(r.getString("nodeId")).isEqualTo(NODE);
    assertThat(r.getString("refType")).isEqualTo("job_failed");
    assertThat(r.getString("at")).endsWith("Z");
  }

  @Test
  @DisplayName("messages are counted per type and outcome")
  void metricsPerOutcome() {
    // GIVEN a router and the current counts
    deployRouter(config());
    Counter accepted = Counter.builder(HubMetrics.ROUTER_MESSAGES).tag("type", "heartbeat")
        .tag("outcome", "accepted").register(HubMetrics.registry());
    Counter missing = Counter.builder(HubMetrics.ROUTER_MESSAGES).tag("type", "job_started")
        .tag("outcome", "MISSING_JOB_ID").register(HubMetrics.registry());
    double acceptedBefore = accepted.count();
    double missingBefore = missing.count();
    // WHEN two heartbeats are accepted and one job_started is rejected
    await(gateway.send("c1", "x", heartbeat("idle", 0, 0)));
    await(gateway.send("c1", "x", heartbeat("idle", 0, 0)));
    await(gateway.send("c1", "x", envelope("job_started", null, new JsonObject())));
    // THEN the counters moved by exactly that
    assertThat(accepted.count() - acceptedBefore).isEqualTo(2.0);
    assertThat(missing.count() - missingBefore).isEqualTo(1.0);
  }

  // ------------------------------------------------------------------ rate limiting

  @Test
  @DisplayName("with rateLimit.messagesPerSecond set, a connection over the rate gets RATE_LIMITED until it reconnects")
  void rateLimitThroughTheBus() {
    // GIVEN a router limited to 1 message per second per connection
    deployRouter(config(new JsonObject().put("rateLimit", new JsonObject().put("messagesPerSecond", 1))));
    // WHEN connection c1 sends two heartbeats back to back
    Future<JsonArray> first = gateway.send("c1", "crawler-1", heartbeat("idle", 0, 0));
    Future<JsonArray> second = gateway.send("c1", "crawler-1", heartbeat("idle", 0, 0));
    // THEN the first passes and the second is RATE_LIMITED
    assertThat(await(first)).isEmpty();
    assertErrorFrame(only(await(second)), "RATE_LIMITED", "heartbeat");
    // AND another connection is not affected
    assertThat(await(gateway.send("c2", "crawler-2", heartbeat("idle", 0, 0)))).isEmpty();
    // WHEN c1 disconnects, THEN its bucket is forgotten and it may send again at once
    gateway.publishEvent(crawlerEvent("disconnected", "c1", "crawler-1"));
    assertThat(await(gateway.send("c1", "crawler-1", heartbeat("idle", 0, 0)))).isEmpty();
  }

  // ------------------------------------------------------------------ extension by an embedding app

  @Test
  @DisplayName("an embedding application replaces a built-in handler, adds a type and adds middleware")
  void embeddingApplicationPlugsIn() {
    // GIVEN a router customised by the application
    List<String> audit = new ArrayList<>();
    await(RouterVerticle.deploy(vertx, config(), router -> router
        .registerHandler("job_progress", 10, ctx -> Future.succeededFuture(HandlerResult.accepted(
            new JsonArray().add(new JsonObject().put("type", "ack")
                .put("seen", ctx.envelope().getBoolean("enriched", false))))))
        .registerHandler("crawler_metrics", 0, ctx -> HandlerResult.acceptedFuture())
        .addMiddleware(new RouterMiddleware() {
          @Override
          public int priority() {
            return 10;
          }

          @Override
          public Future<JsonObject> beforeProcess(RoutedMessage ctx) {
            return Future.succeededFuture(ctx.envelope().copy().put("enriched", true));
          }

          @Override
          public void afterProcess(RoutedMessage ctx, HandlerResult result) {
            audit.add(ctx.type() + ":" + result.success());
          }
        })));
    // WHEN job_progress arrives (no jobs service is running)
    JsonObject ack = only(await(gateway.send("c1", "crawler-1", jobProgress("j1", 1))));
    // THEN the application's handler answered and saw the middleware's enrichment
    assertThat(ack.getString("type")).isEqualTo("ack");
    assertThat(ack.getBoolean("seen")).isTrue();
    // WHEN another sender uses the application's own type on hub.crawler.inbound
    JsonArray frames = await(gateway.sendTo(Addresses.CRAWLER_INBOUND, "c1", "crawler-1",
        envelope("crawler_metrics", null, new JsonObject().put("cpu", 0.5))));
    // THEN it is accepted
    assertThat(frames).isEmpty();
    assertThat(audit).containsExactly("job_progress:true", "crawler_metrics:true");
  }

  // ------------------------------------------------------------------ addresses and partitions

  @Test
  @DisplayName("each instance consumes its partition, and hub.crawler.inbound normalises the job_id alias")
  void partitionsAndSharedInbound() {
    // GIVEN three router instances and a jobs service
    deployRouter(config(new JsonObject().put("instances", new JsonObject().put("router", 3))));
    List<Message<JsonObject>> seen = fakeJobs(cmd -> new JsonObject().put("frames", new JsonArray()));
    // WHEN a heartbeat is sent to every partition, THEN each answers
    for (int p = 0; p < 3; p++) {
      assertThat(await(gateway.sendTo(Addresses.inboundPartition(p), "c" + p, "crawler",
          heartbeat("idle", 0, 0)))).isEmpty();
    }
    // WHEN another sender uses hub.crawler.inbound with the old job_id spelling and a null field
    JsonObject legacy = new JsonObject().put("type", "job_started").put("timestamp", "t")
        .put("job_id", "j77").put("data", new JsonObject().put("entityType", "issue").putNull("entityId"));
    assertThat(await(gateway.sendTo(Addresses.CRAWLER_INBOUND, "c9", "crawler-9", legacy))).isEmpty();
    // THEN the jobs service got the normalised envelope
    JsonObject cmd = seen.get(0).body();
    assertThat(cmd.getString("jobId")).isEqualTo("j77");
    assertThat(cmd.getJsonObject("data").containsKey("entityId")).isFalse();
  }
}
