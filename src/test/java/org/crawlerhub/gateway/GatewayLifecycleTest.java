package org.crawlerhub.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.metrics.HubMetrics;
import org.crawlerhub.protocol.Frames;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(90)
@DisplayName("Gateway connection lifecycle")
class GatewayLifecycleTest extends GatewayTestBase {

  private TestCrawler helloUnix(String crawlerId) throws Exception {
    TestCrawler c = unixCrawler();
    c.send(TestCrawler.hello(crawlerId, null));
    assertThat(c.next().getString("type")).isEqualTo("welcome");
    return c;
  }

  private static Throwable requestFailure(io.vertx.core.Future<?> f) {
    try {
      done(f);
    } catch (AssertionError e) {
      return e.getCause() instanceof ReplyException ? e.getCause() : e;
    }
    throw new AssertionError("expected the request to fail");
  }

  @Test
  @DisplayName("The connection over maxConnections gets OVERLOADED and is closed while the others keep working")
  void connectionLimit() throws Exception {
    // GIVEN a hub limited to 2 connections, served by 2 gateway instances, with 2 crawlers connected
    startHub(new JsonObject().put("maxConnections", 2), 2);
    try (TestCrawler a = helloUnix("a"); TestCrawler b = helloUnix("b")) {
      // WHEN a third crawler connects
      try (TestCrawler c = unixCrawler()) {
        // THEN it gets OVERLOADED and is closed
        List<JsonObject> frames = c.awaitClosed();
        assertThat(frames).hasSize(1);
        assertThat(frames.get(0).getJsonObject("data").getString("code")).isEqualTo("OVERLOADED");
      }
      JsonObject rejected = awaitEvent(e -> "rejected".equals(e.getString("event")));
      assertThat(rejected.getString("code")).isEqualTo("OVERLOADED");
      assertThat(HubMetrics.registry().find(HubMetrics.CONNECTIONS_OPENED)
          .tags("transport", "unix", "outcome", "overloaded").counter().count()).isGreaterThanOrEqualTo(1);
      assertThat(HubMetrics.registry().find(HubMetrics.CONNECTIONS).tags("transport", "unix").gauge().value())
          .isGreaterThanOrEqualTo(2);
      // AND the first two still work
      a.send(TestCrawler.jobRequest(1));
      b.send(TestCrawler.jobRequest(2));
      assertThat(a.next().getString("type")).isEqualTo("job_response");
      assertThat(b.next().getString("type")).isEqualTo("job_response");
    }
  }

  @Test
  @DisplayName("A crawler silent for heartbeatTimeout is disconnected with a heartbeat_timeout event, an active one is not")
  void heartbeatTimeout() throws Exception {
    // GIVEN a hub with a 1 s heartbeat timeout and two crawlers
    startHub(new JsonObject().put("heartbeatInterval", 100).put("heartbeatTimeout", 1000));
    try (TestCrawler silent = helloUnix("silent"); TestCrawler chatty = helloUnix("chatty")) {
      // WHEN one stays silent while the other keeps sending heartbeats
      long until = System.currentTimeMillis() + 2500;
      while (System.currentTimeMillis() < until) {
        chatty.send(TestCrawler.heartbeat("processing", 1));
        chatty.silentFor(Duration.ofMillis(100));
      }
      // THEN the silent one is closed, with heartbeat_timeout then disconnected events
      silent.awaitClosed();
      awaitEvent("heartbeat_timeout", "silent");
      JsonObject disconnected = awaitEvent("disconnected", "silent");
      assertThat(disconnected.getString("reason")).isEqualTo("heartbeat_timeout");
      // AND the chatty one is still connected
      chatty.send(TestCrawler.jobRequest(1));
      assertThat(chatty.next().getString("type")).isEqualTo("job_response");
      assertThat(events).noneMatch(e -> "chatty".equals(e.getString("crawlerId"))
          && "heartbeat_timeout".equals(e.getString("event")));
    }
  }

  @Test
  @DisplayName("A crawler waiting for the hub's answer is not timed out; its silence counts from the answer")
  void noTimeoutWhileTheHubOwesAnAnswer() throws Exception {
    // GIVEN a hub with a 1 s heartbeat timeout
    startHub(new JsonObject().put("heartbeatInterval", 100).put("heartbeatTimeout", 1000));
    try (TestCrawler waiting = helloUnix("waiting")) {
      // WHEN the crawler asks for jobs and the answer takes 2.5 timeouts, during which it sends nothing
      long asked = System.nanoTime();
      waiting.send(TestCrawler.msg("job_request", new JsonObject().put("maxJobs", 1).put("delayMs", 2500)));
      // THEN it gets the answer on the open connection
      assertThat(waiting.next().getString("type")).isEqualTo("job_response");
      assertThat(Duration.ofNanos(System.nanoTime() - asked)).isGreaterThanOrEqualTo(Duration.ofMillis(2500));
      assertThat(events).noneMatch(e -> "waiting".equals(e.getString("crawlerId"))
          && "heartbeat_timeout".equals(e.getString("event")));
      // AND staying silent after the answer still times it out
      waiting.awaitClosed();
      awaitEvent("heartbeat_timeout", "waiting");
    }
  }

  @Test
  @DisplayName("A second connection with the same crawlerId supersedes the first, which gets SUPERSEDED and is closed")
  void superseded() throws Exception {
    // GIVEN crawler-1 connected on a node with two gateway instances
    startHub(new JsonObject(), 2);
    try (TestCrawler old = helloUnix("crawler-1")) {
      // WHEN crawler-1 connects again
      try (TestCrawler newer = helloUnix("crawler-1")) {
        // THEN the old connection gets SUPERSEDED and is closed
        List<JsonObject> frames = old.awaitClosed();
        assertThat(frames).extracting(f -> f.getJsonObject("data").getString("code")).containsExactly("SUPERSEDED");
        // AND messages for crawler-1 now reach the new connection
        JsonObject reply = request(Addresses.outbound("crawler-1"),
            new JsonObject().put("type", "shutdown").put("data", new JsonObject().put("graceful", true)));
        assertThat(reply.getBoolean("delivered")).isTrue();
        assertThat(newer.next().getString("type")).isEqualTo("shutdown");
      }
    }
  }

  @Test
  @DisplayName("An authenticated event from another node for a crawler connected here closes the local connection with SUPERSEDED")
  void supersededByAnotherNode() throws Exception {
    // GIVEN crawler-2 connected here
    startHub(new JsonObject());
    try (TestCrawler local = helloUnix("crawler-2")) {
      // WHEN another node announces crawler-2 authenticated there
      vertx.eventBus().publish(Addresses.CRAWLER_EVENTS, new JsonObject().put("event", "authenticated")
          .put("crawlerId", "crawler-2").put("connectionId", "node-b-c1").put("nodeId", "node-b")
          .put("transport", "tcp").put("at", Frames.now()));
      // THEN the local connection is closed with SUPERSEDED
      List<JsonObject> frames = local.awaitClosed();
      assertThat(frames).extracting(f -> f.getJsonObject("data").getString("code")).containsExactly("SUPERSEDED");
    }
  }

  @Test
  @DisplayName("Outbound messages reach the addressed crawler only; broadcasts reach every crawler")
  void outboundAndBroadcast() throws Exception {
    // GIVEN two crawlers, one with a hello and one without (addressed by its connection id)
    startHub(new JsonObject(), 2);
    try (TestCrawler named = helloUnix("named"); TestCrawler anonymous = unixCrawler()) {
      anonymous.send(TestCrawler.jobRequest(1));
      anonymous.next();
      String anonymousId = lastConnectionId();

      // WHEN a message is sent to each crawler's address
      JsonObject toNamed = request(Addresses.outbound("named"), new JsonObject().put("type", "shutdown")
          .put("data", new JsonObject().put("graceful", true).put("reason", "for named")));
      request(Addresses.outbound(anonymousId), new JsonObject().put("type", "shutdown")
          .put("data", new JsonObject().put("reason", "for anonymous")));

      // THEN each gets its own, with a timestamp filled in
      assertThat(toNamed).isEqualTo(new JsonObject().put("delivered", true));
      JsonObject got = named.next();
      assertThat(got.getJsonObject("data").getString("reason")).isEqualTo("for named");
      assertThat(got.getString("timestamp")).isNotBlank();
      assertThat(anonymous.next().getJsonObject("data").getString("reason")).isEqualTo("for anonymous");

      // WHEN a broadcast is published
      vertx.eventBus().publish(Addresses.CRAWLER_BROADCAST, new JsonObject().put("type", "shutdown")
          .put("data", new JsonObject().put("reason", "everyone")));
      // THEN both crawlers get it
      assertThat(named.next().getJsonObject("data").getString("reason")).isEqualTo("everyone");
      assertThat(anonymous.next().getJsonObject("data").getString("reason")).isEqualTo("everyone");
    }
  }

  @Test
  @DisplayName("An invalid outbound message is refused with 400 VALIDATION_FAILED and nothing is written")
  void invalidOutbound() throws Exception {
    // GIVEN a connected crawler
    startHub(new JsonObject());
    try (TestCrawler crawler = helloUnix("crawler-3")) {
      // WHEN invalid messages are sent to it
      Throwable inbound = requestFailure(vertx.eventBus().request(Addresses.outbound("crawler-3"),
          new JsonObject().put("type", "heartbeat").put("data", new JsonObject())));
      Throwable noData = requestFailure(vertx.eventBus().request(Addresses.outbound("crawler-3"),
          new JsonObject().put("type", "shutdown")));
      Throwable noJobId = requestFailure(vertx.eventBus().request(Addresses.outbound("crawler-3"),
          new JsonObject().put("type", "job_assignment").put("data", new JsonObject())));
      // THEN each is refused with 400 VALIDATION_FAILED
      for (Throwable t : List.of(inbound, noData, noJobId)) {
        assertThat(t).isInstanceOf(ReplyException.class);
        assertThat(((ReplyException) t).failureCode()).isEqualTo(400);
        assertThat(t.getMessage()).startsWith("VALIDATION_FAILED");
      }
      // AND the crawler receives only the next valid message
      request(Addresses.outbound("crawler-3"), new JsonObject().put("type", "shutdown")
          .put("data", new JsonObject().put("reason", "valid")));
      assertThat(crawler.next().getJsonObject("data").getString("reason")).isEqualTo("valid");
    }
  }

  @Test
  @DisplayName("A job_assignment is written only after hub.jobs.assign accepted it")
  void jobAssignment() throws Exception {
    // GIVEN a jobs service that accepts job j1 and refuses j2
    startHub(new JsonObject());
    List<JsonObject> assigns = new ArrayList<>();
    done(vertx.eventBus().<JsonObject>consumer(Addresses.JOBS_ASSIGN, m -> {
      assigns.add(m.body());
      if ("j1".equals(m.body().getString("jobId"))) {
        m.reply(new JsonObject().put("job", new JsonObject().put("id", "j1").put("status", "assigned")));
      } else {
        m.fail(409, "ILLEGAL_TRANSITION: job j2 is running");
      }
    }).completion());
    try (TestCrawler crawler = helloUnix("crawler-4")) {
      JsonObject assignment = new JsonObject().put("type", "job_assignment").put("data", new JsonObject()
          .put("job_id", "j1").put("job_type", "crawl_project").put("gitlab_host", "https://gitlab.example")
          .put("access_token", "t"));
      // WHEN j2 then j1 are sent to the crawler
      Throwable refused = requestFailure(vertx.eventBus().request(Addresses.outbound("crawler-4"),
          assignment.copy().put("data", assignment.getJsonObject("data").copy().put("job_id", "j2"))));
      JsonObject delivered = request(Addresses.outbound("crawler-4"), assignment);
      // THEN j2 is refused with 409 and j1 is delivered, marked assigned to crawler-4 first
      assertThat(((ReplyException) refused).failureCode()).isEqualTo(409);
      assertThat(delivered.getBoolean("delivered")).isTrue();
      assertThat(crawler.next().getJsonObject("data").getString("job_id")).isEqualTo("j1");
      assertThat(assigns).contains(new JsonObject().put("jobId", "j1").put("crawlerId", "crawler-4"));
    }
  }

  @Test
  @DisplayName("1,000 connect/disconnect cycles leave no connection, binding or outbound consumer behind")
  void noLeaks() throws Exception {
    // GIVEN a hub with two gateway instances
    startHub(new JsonObject(), 2);
    Set<String> connectionIds = new TreeSet<>();
    // WHEN 1,000 crawlers connect, talk once and disconnect (every other one with a hello)
    for (int i = 0; i < 1000; i++) {
      try (TestCrawler c = unixCrawler()) {
        if (i % 2 == 0) {
          c.send(TestCrawler.hello("cycle-" + i, null));
        }
        c.send(TestCrawler.jobRequest(i));
        JsonObject last = c.next();
        if (i % 2 == 0) {
          last = c.next();
        }
        assertThat(last.getString("type")).isEqualTo("job_response");
      }
    }
    router.received.forEach(m -> connectionIds.add(m.headers().get(Addresses.Headers.CONNECTION_ID)));
    assertThat(connectionIds).hasSize(1000);

    // THEN the node counts no connection
    await().atMost(Duration.ofSeconds(10)).until(() -> request(Addresses.STATUS, new JsonObject())
        .getInteger("connections") == 0);
    assertThat(request(Addresses.CONNECTIONS, new JsonObject()).getInteger("total")).isZero();
    ConnectionRegistry registry = ConnectionRegistry.of(vertx);
    assertThat(registry.size()).isZero();
    assertThat(registry.crawlerBindings()).isZero();
    // AND no outbound address has a consumer left
    for (String id : connectionIds) {
      assertNoHandler(Addresses.outbound(id));
    }
    for (int i = 0; i < 1000; i += 2) {
      assertNoHandler(Addresses.outbound("cycle-" + i));
    }
  }

  private void assertNoHandler(String address) {
    Throwable t = requestFailure(vertx.eventBus().request(address, new JsonObject()
        .put("type", "shutdown").put("data", new JsonObject())));
    assertThat(t).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) t).failureType()).as(address).isEqualTo(ReplyFailure.NO_HANDLERS);
  }

  @Test
  @DisplayName("hub.status and hub.connections count open connections and heartbeat status, and drop closed ones at once")
  void statusAndConnections() throws Exception {
    // GIVEN two crawlers, one of them processing
    startHub(new JsonObject());
    try (TestCrawler busy = helloUnix("busy")) {
      TestCrawler idle = helloUnix("idle");
      busy.send(TestCrawler.heartbeat("processing", 2));
      busy.send(TestCrawler.jobRequest(1));
      busy.next();

      // WHEN the status is asked
      JsonObject status = request(Addresses.STATUS, new JsonObject());
      JsonObject conns = request(Addresses.CONNECTIONS, new JsonObject());

      // THEN it shows both connections, the listener and the masked config
      assertThat(status.getBoolean("running")).isTrue();
      assertThat(status.getString("nodeId")).isEqualTo("node-a");
      assertThat(status.getInteger("connections")).isEqualTo(2);
      assertThat(status.getInteger("activeConnections")).isEqualTo(2);
      assertThat(status.getLong("uptimeMs")).isNotNegative();
      assertThat(status.getJsonArray("listeners")).contains(
          new JsonObject().put("transport", "unix").put("address", cfg.socketPath()));
      assertThat(status.getJsonObject("config").getJsonArray("crawlerTokens")).containsExactly("****");
      assertThat(status.getJsonObject("config").getJsonObject("http").getString("adminToken")).isEqualTo("****");
      // AND per-crawler statistics with the heartbeat's status
      assertThat(conns.getInteger("total")).isEqualTo(2);
      assertThat(conns.getInteger("active")).isEqualTo(1);
      assertThat(conns.getInteger("idle")).isEqualTo(1);
      assertThat(conns.getInteger("error")).isZero();
      JsonObject busyStats = find(conns.getJsonArray("crawlers"), "busy");
      assertThat(busyStats.getString("systemStatus")).isEqualTo("processing");
      assertThat(busyStats.getInteger("activeJobs")).isEqualTo(2);
      assertThat(busyStats.getString("lastHeartbeat")).isNotBlank();
      assertThat(busyStats.getString("transport")).isEqualTo("unix");
      assertThat(busyStats.getLong("messagesIn")).isEqualTo(3);
      assertThat(busyStats.getLong("messagesOut")).isEqualTo(2);
      assertThat(busyStats.getLong("bytesIn")).isPositive();
      assertThat(busyStats.getLong("bytesOut")).isPositive();
      assertThat(busyStats.getLong("errors")).isZero();

      // AND a request can be narrowed to one crawler, or sent to this node in particular
      JsonObject onlyBusy = request(Addresses.CONNECTIONS, new JsonObject().put("crawlerId", "busy"));
      assertThat(onlyBusy.getJsonArray("crawlers")).hasSize(1);
      assertThat(request(StatusVerticle.statusAddress("node-a"), new JsonObject()).getInteger("connections"))
          .isEqualTo(2);

      // WHEN one crawler disconnects
      idle.close();
      awaitEvent("disconnected", "idle");
      // THEN it is gone from both answers right away
      assertThat(request(Addresses.STATUS, new JsonObject()).getInteger("connections")).isEqualTo(1);
      JsonObject after = request(Addresses.CONNECTIONS, new JsonObject());
      assertThat(after.getInteger("total")).isEqualTo(1);
      assertThat(after.getJsonArray("crawlers")).hasSize(1);
    }
  }

  private static JsonObject find(JsonArray crawlers, String crawlerId) {
    for (int i = 0; i < crawlers.size(); i++) {
      if (crawlerId.equals(crawlers.getJsonObject(i).getString("crawlerId"))) {
        return crawlers.getJsonObject(i);
      }
    }
    throw new AssertionError("no crawler " + crawlerId + " in " + crawlers.encode());
  }

  @Test
  @DisplayName("A graceful shutdown sends shutdown to every crawler, refuses new connections and waits for crawlers to leave")
  void gracefulShutdown() throws Exception {
    // GIVEN two connected crawlers
    startHub(new JsonObject(), 2);
    TestCrawler a = helloUnix("a");
    TestCrawler b = helloUnix("b");

    // WHEN the app starts a graceful shutdown over the bus
    JsonObject reply = request(GatewayVerticle.SHUTDOWN_ADDRESS,
        new JsonObject().put("reason", "maintenance").put("timeoutSeconds", 5));

    // THEN both crawlers are told, and can still send their final messages
    assertThat(reply.getInteger("notified")).isEqualTo(2);
    for (TestCrawler c : List.of(a, b)) {
      JsonObject shutdown = c.next();
      assertThat(shutdown.getString("type")).isEqualTo("shutdown");
      assertThat(shutdown.getJsonObject("data").getString("reason")).isEqualTo("maintenance");
      assertThat(shutdown.getJsonObject("data").getInteger("timeout_seconds")).isEqualTo(5);
      assertThat(shutdown.getJsonObject("data").getBoolean("graceful")).isTrue();
    }
    a.send(TestCrawler.jobRequest(1));
    assertThat(a.next().getString("type")).isEqualTo("job_response");
    // AND a new connection is refused
    try (TestCrawler late = unixCrawler()) {
      assertThat(late.awaitClosed()).isEmpty();
    }
    assertThat(request(Addresses.STATUS, new JsonObject()).getBoolean("running")).isFalse();
    // AND the wait ends once the crawlers have left
    a.close();
    b.close();
    assertThat(done(GatewayVerticle.awaitDisconnected(vertx, 5000))).isTrue();
  }

  @Test
  @DisplayName("Undeploying the gateway closes its connections and a second stop is harmless")
  void stopIsIdempotent() throws Exception {
    // GIVEN a gateway deployed on its own with a connected crawler
    cfg = config(new JsonObject());
    GatewayVerticle.prepareSocketPath(cfg);
    GatewayVerticle gateway = new GatewayVerticle(cfg);
    String id = done(vertx.deployVerticle(gateway));
    router = FakeRouter.start(vertx);
    try (TestCrawler crawler = helloUnix("crawler-s")) {
      // WHEN it is undeployed, and stopped once more
      done(vertx.undeploy(id));
      done(vertx.getOrCreateContext().<Object>executeBlocking(() -> null)
          .compose(v -> io.vertx.core.Future.future(p -> vertx.runOnContext(x -> {
            try {
              gateway.stop().onComplete(ar -> p.complete());
            } catch (Exception e) {
              p.fail(e);
            }
          }))));
      // THEN the crawler was disconnected and no connection is counted
      crawler.awaitClosed();
      assertThat(ConnectionRegistry.of(vertx).size()).isZero();
    }
  }
}
