package org.crawlerhub.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.metrics.HubMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 90, unit = TimeUnit.SECONDS)
@DisplayName("The /api/events stream")
class EventStreamTest {
  static final Map<String, String> BEARER = Map.of("Authorization", "Bearer " + HubHttpFixture.TOKEN);

  HubHttpFixture hub;

  @AfterEach
  void stop() throws Exception {
    if (hub != null) {
      hub.close();
    }
  }

  void start(SseSettings settings) throws Exception {
    hub = new HubHttpFixture(HubHttpFixture.TOKEN, settings, 64 * 1024);
  }

  void publish(String address, JsonObject body) {
    hub.vertx.eventBus().publish(address, body);
  }

  static JsonObject jobEvent(String jobId, String from, String to) {
    return new JsonObject().put("jobId", jobId).put("from", from).put("to", to).put("attempt", 1)
        .put("crawlerId", "crawler-1").put("at", Instant.now().toString()).put("reason", "test");
  }

  static JsonObject progress(String jobId, String stage, int processed) {
    return new JsonObject().put("jobId", jobId).put("stage", stage).put("processed", processed).put("total", 100)
        .put("completion", processed / 100.0).put("rate", 10.0).put("updatedAt", Instant.now().toString());
  }

  static double sseCount(String code) {
    Counter c = HubMetrics.registry().find(HubMetrics.SSE_CLIENTS).tag("code", code).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  @DisplayName("a client receives lifecycle and progress events, named and with increasing ids")
  void receivesNamedEventsWithIds() throws Exception {
    // GIVEN a connected stream
    start(SseSettings.defaults());
    try (SseTestClient sse = new SseTestClient(hub.vertx, hub.port(), BEARER)) {
      assertThat(sse.status).isEqualTo(200);
      // WHEN the hub publishes a transition, a progress update, a connection event and an error
      publish(Addresses.JOB_EVENTS, jobEvent("job-1", "assigned", "running"));
      publish(Addresses.PROGRESS_JOBS, progress("job-1", "fetching", 10));
      publish(Addresses.CRAWLER_EVENTS, new JsonObject().put("event", "connected").put("crawlerId", "crawler-1"));
      publish(Addresses.ERRORS, new JsonObject().put("id", "err-1").put("category", "database"));
      publish(Addresses.ERRORS_ALERTS, new JsonObject().put("category", "database").put("count", 120));
      // THEN each arrives under its event name with an id
      await().atMost(10, TimeUnit.SECONDS).until(() -> sse.events.size() >= 5);
      assertThat(sse.events.stream().map(SseTestClient.Event::name))
          .containsExactlyInAnyOrder("job", "progress", "crawler", "hub-error", "alert");
      assertThat(sse.named("job").get(0).data().getString("to")).isEqualTo("running");
      assertThat(sse.named("progress").get(0).data().getInteger("processed")).isEqualTo(10);
      List<Long> seqs = sse.events.stream().map(e -> Long.parseLong(e.id().substring(e.id().lastIndexOf('-') + 1)))
          .toList();
      assertThat(seqs).doesNotHaveDuplicates().allMatch(s -> s > 0);
    }
  }

  @Test
  @DisplayName("Last-Event-ID replays exactly the buffered events after it; an unknown id asks the client to reset")
  void resumesFromLastEventId() throws Exception {
    // GIVEN a client that saw three transitions
    start(SseSettings.defaults());
    String firstId;
    try (SseTestClient first = new SseTestClient(hub.vertx, hub.port(), BEARER)) {
      for (String job : List.of("r-1", "r-2", "r-3")) {
        publish(Addresses.JOB_EVENTS, jobEvent(job, "queued", "assigned"));
      }
      await().atMost(10, TimeUnit.SECONDS).until(() -> first.named("job").size() == 3);
      firstId = first.named("job").get(0).id();
    }
    // WHEN it reconnects with the id of the first one
    Map<String, String> resume = Map.of("Authorization", "Bearer " + HubHttpFixture.TOKEN, "Last-Event-ID", firstId);
    try (SseTestClient again = new SseTestClient(hub.vertx, hub.port(), resume)) {
      // THEN it gets the two it missed, in order, and nothing before
      await().atMost(10, TimeUnit.SECONDS).until(() -> again.named("job").size() >= 2);
      assertThat(again.named("job").stream().map(e -> e.data().getString("jobId"))).containsExactly("r-2", "r-3");
    }
    // WHEN a client resumes from an id of another hub run
    Map<String, String> stale = Map.of("Authorization", "Bearer " + HubHttpFixture.TOKEN, "Last-Event-ID", "zzz-5");
    try (SseTestClient old = new SseTestClient(hub.vertx, hub.port(), stale)) {
      // THEN it is told to refetch its snapshot
      await().atMost(10, TimeUnit.SECONDS).until(() -> !old.named("reset").isEmpty());
      assertThat(old.named("job")).isEmpty();
    }
  }

  @Test
  @DisplayName("progress is throttled per job (latest wins), and a transition flushes that job's pending progress first")
  void progressIsThrottled() throws Exception {
    // GIVEN a stream that sends at most one progress event per job per 300 ms
    start(SseSettings.defaults().withThrottleMillis(300));
    try (SseTestClient sse = new SseTestClient(hub.vertx, hub.port(), BEARER)) {
      // WHEN 50 updates of one job arrive at once
      for (int i = 1; i <= 50; i++) {
        publish(Addresses.PROGRESS_JOBS, progress("t-1", "fetching", i));
      }
      // THEN far fewer are streamed and the last value is the latest
      await().atMost(10, TimeUnit.SECONDS).until(() -> sse.named("progress").stream()
          .anyMatch(e -> e.data().getInteger("processed") == 50));
      assertThat(sse.named("progress").size()).isLessThan(5);
      // WHEN a throttled update is followed by the job's completion
      publish(Addresses.PROGRESS_JOBS, progress("t-1", "fetching", 60));
      publish(Addresses.PROGRESS_JOBS, progress("t-1", "fetching", 61));
      publish(Addresses.JOB_EVENTS, jobEvent("t-1", "running", "completed"));
      // THEN the pending progress goes out before the transition
      await().atMost(10, TimeUnit.SECONDS).until(() -> !sse.named("job").isEmpty());
      List<String> tail = sse.events.stream().map(e -> e.name() + ":" + (e.data().containsKey("processed")
          ? e.data().getInteger("processed") : e.data().getString("to"))).toList();
      assertThat(tail.subList(tail.size() - 2, tail.size())).containsExactly("progress:61", "job:completed");
    }
  }

  @Test
  @DisplayName("accepted heartbeats stream as heartbeat events carrying the crawler's status")
  void heartbeatsStream() throws Exception {
    start(SseSettings.defaults());
    try (SseTestClient sse = new SseTestClient(hub.vertx, hub.port(), BEARER)) {
      // WHEN a router partition publishes its batch of accepted heartbeats (the latest per connection)
      hub.vertx.eventBus().publish(Addresses.CRAWLER_HEARTBEATS, new JsonObject().put("heartbeats", new JsonArray()
          .add(new JsonObject().put("connectionId", "conn-9").put("crawlerId", "crawler-9").put("nodeId", "node-a")
              .put("envelope", new JsonObject().put("type", "heartbeat").put("timestamp", Instant.now().toString())
                  .put("data", new JsonObject().put("activeJobs", 2).put("totalProcessed", 900)
                      .put("systemStatus", "processing"))))));
      // THEN the dashboard learns who is doing what
      await().atMost(10, TimeUnit.SECONDS).until(() -> !sse.named("heartbeat").isEmpty());
      JsonObject hb = sse.named("heartbeat").get(0).data();
      assertThat(hb.getString("crawlerId")).isEqualTo("crawler-9");
      assertThat(hb.getInteger("activeJobs")).isEqualTo(2);
      assertThat(hb.getString("systemStatus")).isEqualTo("processing");
      assertThat(hb.getString("nodeId")).isEqualTo("node-a");
    }
  }

  @Test
  @DisplayName("the stream needs the admin token, accepts the session cookie instead, and sends keep-alive comments")
  void authAndKeepAlive() throws Exception {
    // GIVEN keep-alives every 200 ms
    start(SseSettings.defaults().withHeartbeatMillis(200));
    // WHEN a client comes without credentials THEN 401
    try (SseTestClient anonymous = new SseTestClient(hub.vertx, hub.port(), Map.of())) {
      assertThat(anonymous.status).isEqualTo(401);
    }
    // WHEN a browser comes with its session cookie
    String setCookie = hub.client.post("/api/session").sendJsonObject(new JsonObject().put("token", HubHttpFixture.TOKEN))
        .await(10, TimeUnit.SECONDS).cookies().get(0);
    Map<String, String> cookie = Map.of("Cookie", setCookie.substring(0, setCookie.indexOf(';')));
    try (SseTestClient browser = new SseTestClient(hub.vertx, hub.port(), cookie)) {
      // THEN it streams, and idle periods carry comment lines
      assertThat(browser.status).isEqualTo(200);
      await().atMost(10, TimeUnit.SECONDS).until(() -> browser.comments.stream().anyMatch(c -> c.contains("keep-alive")));
    }
  }

  @Test
  @DisplayName("a client that never reads is dropped and counted, while another client keeps receiving")
  void slowClientIsDropped() throws Exception {
    // GIVEN a fast client and a raw socket that subscribes but never reads
    start(SseSettings.defaults().withRingSize(64));
    double droppedBefore = sseCount("dropped_slow");
    double openedBefore = sseCount("opened");
    try (SseTestClient fast = new SseTestClient(hub.vertx, hub.port(), BEARER);
         Socket slow = new Socket()) {
      slow.setReceiveBufferSize(4096);
      slow.connect(new InetSocketAddress("127.0.0.1", hub.port()));
      OutputStream out = slow.getOutputStream();
      out.write(("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + HubHttpFixture.TOKEN
          + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      await().atMost(10, TimeUnit.SECONDS).until(() -> sseCount("opened") >= openedBefore + 2);
      // WHEN the hub streams large events until the slow one's queue overflows
      String blob = "x".repeat(16 * 1024);
      int[] sent = {0};
      await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(20)).until(() -> {
        for (int i = 0; i < 4; i++) {
          publish(Addresses.ERRORS_ALERTS, new JsonObject().put("n", sent[0]++).put("blob", blob));
        }
        return sseCount("dropped_slow") > droppedBefore;
      });
      // THEN exactly the slow client was dropped: its connection is closed ...
      slow.setSoTimeout(20_000);
      InputStream in = slow.getInputStream();
      byte[] buf = new byte[64 * 1024];
      while (in.read(buf) >= 0) {
        // drain what the kernel had buffered up to the close
      }
      // ... and the fast one still receives everything, including what is published afterwards
      publish(Addresses.ERRORS_ALERTS, new JsonObject().put("marker", true));
      await().atMost(20, TimeUnit.SECONDS).until(() -> fast.named("alert").stream()
          .anyMatch(e -> e.data().getBoolean("marker", false)));
      assertThat(fast.named("alert")).hasSize(sent[0] + 1);
      assertThat(sseCount("dropped_slow")).isEqualTo(droppedBefore + 1);
    }
  }
}
