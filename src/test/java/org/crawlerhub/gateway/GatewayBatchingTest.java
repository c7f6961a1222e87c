package org.crawlerhub.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.Frames;
import org.crawlerhub.protocol.JobCommandBatch;
import org.crawlerhub.router.RouterVerticle;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The gateway sends the lines of one socket read as one batch to the real router, which forwards
 * the lifecycle commands among them as one batch to the jobs service (a stand-in here that takes
 * both forms). Behaviour must be exactly that of one request per line.
 */
@Timeout(60)
@DisplayName("Gateway -> router -> jobs batching")
class GatewayBatchingTest extends GatewayTestBase {

  /** Stand-in for the jobs verticle on hub.jobs.command and its batch form. */
  static final class FakeJobs {
    final Queue<JsonObject> seen = new ConcurrentLinkedQueue<>();
    final AtomicInteger batches = new AtomicInteger();
    final AtomicInteger batchedCommands = new AtomicInteger();
    private final Vertx vertx;
    private final Function<JsonObject, Object> answer;

    /** {@code answer}: the reply body for an envelope, or a Long delay wrapping via {@link Delayed}. */
    FakeJobs(Vertx vertx, Function<JsonObject, Object> answer) {
      this.vertx = vertx;
      this.answer = answer;
      done(vertx.eventBus().<JsonObject>localConsumer(Addresses.JOBS_COMMAND, this::single).completion());
      done(vertx.eventBus().<JobCommandBatch>localConsumer(Addresses.JOBS_COMMAND_BATCH, this::batch).completion());
      vertx.sharedData().getLocalMap(Addresses.BATCH_CONSUMERS).put(Addresses.JOBS_COMMAND_BATCH, true);
    }

    private void single(Message<JsonObject> m) {
      seen.add(m.body());
      answer(m.body(), m::reply);
    }

    private void batch(Message<JobCommandBatch> m) {
      JsonArray cmds = new JsonArray();
      m.body().commands().forEach(c -> cmds.add(c.envelope()));
      batches.incrementAndGet();
      batchedCommands.addAndGet(cmds.size());
      Object[] replies = new Object[cmds.size()];
      AtomicInteger missing = new AtomicInteger(cmds.size());
      for (int i = 0; i < cmds.size(); i++) {
        int slot = i;
        seen.add(cmds.getJsonObject(i));
        answer(cmds.getJsonObject(i), r -> {
          replies[slot] = r;
          if (missing.decrementAndGet() == 0) {
            m.reply(new JsonObject().put("replies", new JsonArray(List.of(replies))));
          }
        });
      }
    }

    private void answer(JsonObject env, java.util.function.Consumer<Object> reply) {
      Object a = answer.apply(env);
      if (a instanceof Delayed d) {
        vertx.setTimer(d.ms(), id -> reply.accept(d.body()));
      } else {
        reply.accept(a);
      }
    }
  }

  record Delayed(long ms, JsonObject body) {}

  private static JsonObject frames(JsonObject... frames) {
    return new JsonObject().put("frames", new JsonArray(List.of((Object[]) frames)));
  }

  private static JsonObject seqResponse(JsonObject env) {
    JsonObject r = Frames.jobResponse(new JsonArray());
    r.getJsonObject("data").put("seq", env.getJsonObject("data").getValue("seq"));
    return r;
  }

  /** The gateway with the real router; the fake router of the base class is stopped. */
  private void startHubWithRealRouter(JsonObject overrides) throws Exception {
    startHub(overrides);
    router.stop();
    done(RouterVerticle.deploy(vertx, cfg));
  }

  /**
   * Lists a stand-in {@link org.crawlerhub.bus.DirectLane} for router partition 0, callable from any
   * thread, answering each batch with {@code answer}'s replies (null: never answers).
   */
  private void installLane(Function<JsonArray, JsonArray> answer) {
    vertx.sharedData().<String, org.crawlerhub.bus.DirectLane>getLocalMap(org.crawlerhub.bus.DirectLane.MAP)
        .put(Addresses.inboundBatchPartition(0), new org.crawlerhub.bus.DirectLane() {
          @Override
          public boolean inThread() {
            return true;
          }

          @Override
          public void route(JsonObject request, io.vertx.core.MultiMap headers, io.vertx.core.Completable<Object> done) {
            JsonArray replies = answer.apply(request.getJsonArray("batch"));
            if (replies != null) {
              done.succeed(new JsonObject().put("replies", replies));
            }
          }
        });
  }

  private static JsonObject progress(String jobId, long processed) {
    return TestCrawler.msg("job_progress", new JsonObject().put("stage", "fetching")
        .put("entityType", "project").put("processed", processed)).put("jobId", jobId);
  }

  @Test
  @DisplayName("a connection is routed by the router partition on its gateway's event loop, so the hand-over stays on one thread")
  void routedOnTheGatewaysEventLoop() throws Exception {
    // GIVEN one gateway and four router partitions (one per event loop), each noting the thread it routes on
    startHub(new JsonObject().put("instances", new JsonObject().put("router", 4)));
    router.stop();
    java.util.Set<String> routingThreads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    done(RouterVerticle.deploy(vertx, cfg, r -> r.addMiddleware(new org.crawlerhub.router.RouterMiddleware() {
      @Override
      public int priority() {
        return 0;
      }

      @Override
      public io.vertx.core.Future<JsonObject> beforeProcess(org.crawlerhub.router.RoutedMessage ctx) {
        routingThreads.add(Thread.currentThread().getName());
        return org.crawlerhub.router.RouterMiddleware.proceed();
      }
    })));
    io.vertx.core.shareddata.LocalMap<String, Integer> lanes = vertx.sharedData().getLocalMap(Addresses.ROUTER_LANES);
    assertThat(lanes.size()).as("router partitions on distinct event loops")
        .isEqualTo(Math.min(4, io.vertx.core.VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE));

    // WHEN eight crawlers each send a heartbeat and wait for the answer of a job_request barrier
    FakeJobs jobs = new FakeJobs(vertx, env -> frames(Frames.jobResponse(new JsonArray())));
    for (int i = 0; i < 8; i++) {
      try (TestCrawler crawler = unixCrawler()) {
        crawler.send(TestCrawler.heartbeat("idle", 0));
        crawler.send(TestCrawler.jobRequest(i));
        assertThat(crawler.next().getString("type")).isEqualTo("job_response");
      }
    }

    // THEN every message was routed on one thread: the gateway's, where one of the partitions runs
    assertThat(routingThreads).hasSize(1);
    assertThat(lanes.keySet()).containsAll(routingThreads);
    assertThat(jobs.seen).hasSize(8);
  }

  @Test
  @DisplayName("a read is routed by a direct call to the router partition on the gateway's event loop: no event-bus request, same answers")
  void directLaneWithoutBusRequests() throws Exception {
    // GIVEN the real router with a partition on every event loop (as the hub deploys it), a jobs
    // service answering job_request, and a count of requests to the router's addresses
    startHubWithRealRouter(new JsonObject().put("instances", new JsonObject()
        .put("router", io.vertx.core.VertxOptions.DEFAULT_EVENT_LOOP_POOL_SIZE)));
    FakeJobs jobs = new FakeJobs(vertx, env -> frames(seqResponse(env)));
    AtomicInteger routerRequests = new AtomicInteger();
    vertx.eventBus().addOutboundInterceptor(dc -> {
      if (dc.message().address().startsWith(Addresses.CRAWLER_INBOUND_BATCH_PREFIX)
          || dc.message().address().startsWith(Addresses.CRAWLER_INBOUND_PARTITION_PREFIX)) {
        routerRequests.incrementAndGet();
      }
      dc.next();
    });
    try (TestCrawler crawler = unixCrawler()) {
      // WHEN the crawler sends a heartbeat, a job_progress without jobId and two job_requests in one write, then one more
      crawler.send((TestCrawler.heartbeat("idle", 0).encode() + "\n"
          + TestCrawler.msg("job_progress", new JsonObject()).encode() + "\n"
          + TestCrawler.jobRequest(1).encode() + "\n" + TestCrawler.jobRequest(2).encode() + "\n")
          .getBytes(StandardCharsets.UTF_8));
      crawler.send(TestCrawler.jobRequest(3));

      // THEN the answers are those of the bus path, in order
      List<JsonObject> replies = crawler.next(4);
      assertThat(replies.get(0).getJsonObject("data").getString("code")).isEqualTo(ErrorCode.MISSING_JOB_ID.name());
      assertThat(replies.subList(1, 4)).extracting(f -> f.getJsonObject("data").getInteger("seq")).containsExactly(1, 2, 3);
      assertThat(jobs.seen).hasSize(3);
      // AND no request went to the router over the event bus
      assertThat(routerRequests.get()).isZero();
    }
  }

  @Test
  @DisplayName("while a connection waits for the router over the event bus, its next read takes the same way, not the direct lane")
  void noOvertakingWhenTheLaneAppears() throws Exception {
    // GIVEN the stand-in router of the base class (event bus only), answering job_request seq 7 late
    startHub(new JsonObject());
    Queue<Integer> direct = new ConcurrentLinkedQueue<>();
    try (TestCrawler crawler = unixCrawler()) {
      crawler.send(TestCrawler.msg("job_request", new JsonObject().put("seq", 1).put("delayMs", 500)));
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> router.received.size() == 1);
      // WHEN a direct lane appears for the connection's partition while seq 1 is still unanswered, and seq 2 follows
      installLane(batch -> {
        JsonArray replies = new JsonArray();
        for (Object env : batch) {
          direct.add(((JsonObject) env).getJsonObject("data").getInteger("seq"));
          replies.add(frames(seqResponse((JsonObject) env)));
        }
        return replies;
      });
      crawler.send(TestCrawler.jobRequest(2));

      // THEN seq 2 went the way of seq 1 and was answered after it
      assertThat(crawler.next(2)).extracting(f -> f.getJsonObject("data").getInteger("seq")).containsExactly(1, 2);
      assertThat(router.received).hasSize(2);
      assertThat(direct).isEmpty();
      // AND once nothing is waiting on the bus, the next read takes the direct lane
      crawler.send(TestCrawler.jobRequest(3));
      assertThat(crawler.next().getJsonObject("data").getInteger("seq")).isEqualTo(3);
      assertThat(direct).containsExactly(3);
    }
  }

  @Test
  @DisplayName("a direct-lane batch the router never answers is failed after connectionTimeout, owed job_response first, as on the bus")
  void directLaneTimeout() throws Exception {
    // GIVEN a lane that never answers seq 1 and answers everything else at once
    startHub(new JsonObject().put("connectionTimeout", 300));
    router.stop();
    installLane(batch -> {
      JsonObject env = batch.getJsonObject(0);
      return env.getJsonObject("data").getInteger("seq") == 1 ? null : new JsonArray().add(frames(seqResponse(env)));
    });
    try (TestCrawler crawler = unixCrawler()) {
      // WHEN the crawler sends job_request seq 1
      long sent = System.nanoTime();
      crawler.send(TestCrawler.jobRequest(1));

      // THEN it gets an empty job_response and an INTERNAL error after the timeout
      List<JsonObject> replies = crawler.next(2);
      assertThat(java.time.Duration.ofNanos(System.nanoTime() - sent)).isGreaterThanOrEqualTo(java.time.Duration.ofMillis(300));
      assertThat(replies.get(0).getString("type")).isEqualTo("job_response");
      assertThat(replies.get(0).getJsonObject("data").getJsonArray("jobs")).isEmpty();
      assertThat(replies.get(1).getJsonObject("data").getString("code")).isEqualTo(ErrorCode.INTERNAL.name());
      assertThat(replies.get(1).getJsonObject("data").getString("message")).contains("timeout");
      // AND the connection goes on: seq 2 gets its answer
      crawler.send(TestCrawler.jobRequest(2));
      assertThat(crawler.next().getJsonObject("data").getInteger("seq")).isEqualTo(2);
    }
  }

  @Test
  @DisplayName("10,000 messages across many batches keep their order, with rejected lines (decoded by the gateway and by the router) and a rejected message in the middle")
  void orderingAcrossBatches() throws Exception {
    // GIVEN the real router and a jobs service answering each job_request with its seq, every 7th late
    startHubWithRealRouter(new JsonObject());
    FakeJobs jobs = new FakeJobs(vertx, env -> {
      JsonObject reply = frames(seqResponse(env));
      int seq = env.getJsonObject("data").getInteger("seq");
      return seq % 7 == 0 ? new Delayed(1 + seq % 3, reply) : reply;
    });
    int n = 10_000;
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < n; i++) {
      if (i == 3_000) {
        all.append("{\"type\":\"job_request\",\"data\":{\"seq\":\n"); // typed at a glance: decoded (and rejected) by the router
      }
      if (i == 5_000) {
        all.append("{this is not json\n"); // rejected by the gateway itself: cuts the batch
      }
      if (i == 7_000) {
        all.append(TestCrawler.msg("job_progress", new JsonObject()).encode()).append('\n'); // rejected by the router
      }
      all.append(TestCrawler.jobRequest(i).encode()).append('\n');
    }
    try (TestCrawler crawler = unixCrawler()) {
      // WHEN the crawler writes them all at once
      CompletableFuture<Void> writing = crawler.sendAsync(all.toString().getBytes(StandardCharsets.UTF_8));
      List<JsonObject> replies = crawler.next(n + 3);
      writing.join();

      // THEN the replies come back in send order, each rejection exactly where its line was
      List<Object> got = new ArrayList<>();
      for (JsonObject f : replies) {
        got.add("error".equals(f.getString("type")) ? f.getJsonObject("data").getString("code")
            : f.getJsonObject("data").getInteger("seq"));
      }
      List<Object> expected = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        if (i == 3_000 || i == 5_000) {
          expected.add(ErrorCode.INVALID_JSON.name());
        }
        if (i == 7_000) {
          expected.add(ErrorCode.MISSING_JOB_ID.name());
        }
        expected.add(i);
      }
      assertThat(got).isEqualTo(expected);
      // AND the jobs service saw the job_requests in order, most of them in batches
      assertThat(jobs.seen).extracting(e -> e.getJsonObject("data").getInteger("seq"))
          .containsExactlyElementsOf(java.util.stream.IntStream.range(0, n).boxed().toList());
      assertThat(jobs.batches.get()).isPositive();
      assertThat(jobs.batchedCommands.get()).isGreaterThan(n / 2);
    }
  }

  @Test
  @DisplayName("a job_request after a batch of job_progress is answered only after every one of them was accepted or rejected")
  void jobRequestIsABarrier() throws Exception {
    // GIVEN a jobs service that answers progress late (one of them STALE_LEASE) and job_request at
    // once, and a router publishing accepted progress
    startHubWithRealRouter(new JsonObject().put("unpublishedMessageTypes", new JsonArray()));
    Queue<Long> progressPublished = new ConcurrentLinkedQueue<>();
    done(vertx.eventBus().<JsonObject>consumer(Addresses.message("job_progress"),
        m -> progressPublished.add(m.body().getJsonObject("data").getLong("processed"))).completion());
    int n = 200;
    FakeJobs jobs = new FakeJobs(vertx, env -> {
      if (!"job_progress".equals(env.getString("type"))) {
        return frames(Frames.jobResponse(new JsonArray()));
      }
      long processed = env.getJsonObject("data").getLong("processed");
      JsonObject reply = processed == n - 1
          ? new JsonObject().put("error", new JsonObject().put("code", "STALE_LEASE").put("message", "job j1 is not yours"))
          : frames();
      return new Delayed(20, reply);
    });
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < n; i++) {
      all.append(progress("j1", i).encode()).append('\n');
    }
    all.append(TestCrawler.msg("job_request", new JsonObject().put("maxJobs", 1)).encode()).append('\n');
    try (TestCrawler crawler = unixCrawler()) {
      // WHEN the crawler writes the progress lines and the job_request at once
      crawler.send(all.toString().getBytes(StandardCharsets.UTF_8));

      // THEN the STALE_LEASE error of the last progress comes first, then the job_response
      List<JsonObject> replies = crawler.next(2);
      assertThat(replies.get(0).getString("type")).isEqualTo("error");
      assertThat(replies.get(0).getJsonObject("data").getString("code")).isEqualTo("STALE_LEASE");
      assertThat(replies.get(0).getString("jobId")).isEqualTo("j1");
      assertThat(replies.get(1).getString("type")).isEqualTo("job_response");
      // AND the jobs service saw every progress before the job_request, in order
      List<JsonObject> seen = new ArrayList<>(jobs.seen);
      assertThat(seen).hasSize(n + 1);
      assertThat(seen.get(n).getString("type")).isEqualTo("job_request");
      assertThat(seen.subList(0, n)).extracting(e -> e.getJsonObject("data").getLong("processed"))
          .containsExactlyElementsOf(java.util.stream.LongStream.range(0, n).boxed().toList());
      // AND every accepted progress was published (in order), the rejected one not
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
          .until(() -> progressPublished.size() == n - 1);
      assertThat(progressPublished).containsExactlyElementsOf(
          java.util.stream.LongStream.range(0, n - 1).boxed().toList());
      assertThat(crawler.silentFor(java.time.Duration.ofMillis(200))).isTrue();
    }
  }

  @Test
  @DisplayName("mixed types in one write are each handled as alone: replies, rejections and forwards in order")
  void mixedTypesInOneBatch() throws Exception {
    // GIVEN the real router and a jobs service answering job_request and token_refresh_request
    startHubWithRealRouter(new JsonObject());
    Queue<String> heartbeats = new ConcurrentLinkedQueue<>();
    done(vertx.eventBus().<JsonObject>consumer(Addresses.message("heartbeat"),
        m -> heartbeats.add(m.headers().get(Addresses.Headers.CONNECTION_ID))).completion());
    FakeJobs jobs = new FakeJobs(vertx, env -> switch (env.getString("type")) {
      case "job_request" -> frames(Frames.jobResponse(new JsonArray()));
      case "token_refresh_request" -> frames(Frames.tokenRefreshResponse(env.getString("jobId"), "tok", true, null, null));
      case "job_completed" -> new JsonObject().put("error", new JsonObject().put("code", "ILLEGAL_TRANSITION")
          .put("message", "job j2 is completed"));
      default -> frames();
    });
    List<JsonObject> lines = List.of(
        TestCrawler.heartbeat("processing", 1),
        TestCrawler.msg("job_started", new JsonObject().put("entityType", "project").put("entityId", "g/p")).put("jobId", "j2"),
        progress("j2", 5),
        TestCrawler.msg("bogus_type", new JsonObject()),
        TestCrawler.msg("job_request", new JsonObject().put("maxJobs", 1)),
        TestCrawler.msg("token_refresh_request", new JsonObject()).put("jobId", "j2"),
        TestCrawler.msg("job_completed", new JsonObject().put("success", true).put("finalCounts", new JsonObject()))
            .put("jobId", "j2"),
        TestCrawler.msg("job_request", new JsonObject().put("maxJobs", 0)));
    StringBuilder all = new StringBuilder();
    lines.forEach(l -> all.append(l.encode()).append('\n'));
    try (TestCrawler crawler = unixCrawler()) {
      // WHEN the crawler writes them in one go
      crawler.send(all.toString().getBytes(StandardCharsets.UTF_8));

      // THEN it gets, in order: UNKNOWN_TYPE, job_response, token_refresh_response, ILLEGAL_TRANSITION, job_response
      List<JsonObject> replies = crawler.next(5);
      assertThat(replies).extracting(f -> "error".equals(f.getString("type"))
          ? f.getJsonObject("data").getString("code") : f.getString("type"))
          .containsExactly("UNKNOWN_TYPE", "job_response", "token_refresh_response", "ILLEGAL_TRANSITION",
              "job_response");
      assertThat(crawler.silentFor(java.time.Duration.ofMillis(200))).isTrue();
      // AND the jobs service saw its commands in order (the last job_request, for no jobs, was
      // answered by the router itself); the heartbeat was published
      assertThat(jobs.seen).extracting(e -> e.getString("type")).containsExactly("job_started", "job_progress",
          "job_request", "token_refresh_request", "job_completed");
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> heartbeats.size() == 1);
      // AND both rejections were reported
      awaitReport("UNKNOWN_TYPE");
      awaitReport("ILLEGAL_TRANSITION");
    }
  }
}
