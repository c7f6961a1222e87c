package org.crawlerhub.gateway;

import static org.awaitility.Awaitility.await;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.config.HubConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Vert.x with the gateway (and status verticle) listening on a temp-dir Unix socket and,
 * when asked, a free TCP port; a {@link FakeRouter}; and recorders for connection events and
 * error reports.
 */
abstract class GatewayTestBase {
  static final String TOKEN = "s3cret-crawler-token";

  @TempDir
  Path dir;
  Vertx vertx;
  HubConfig cfg;
  FakeRouter router;
  final Queue<JsonObject> events = new ConcurrentLinkedQueue<>();
  final Queue<JsonObject> reports = new ConcurrentLinkedQueue<>();

  @BeforeEach
  void startVertx() {
    // a low limit makes the blocked-thread checker report any blocking on an event loop
    vertx = Vertx.vertx(new VertxOptions()
        .setMaxEventLoopExecuteTime(100).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setBlockedThreadCheckInterval(100).setWarningExceptionTime(200).setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS));
    done(vertx.eventBus().<JsonObject>consumer(Addresses.CRAWLER_EVENTS, m -> events.add(m.body())).completion());
    done(vertx.eventBus().<JsonObject>consumer(Addresses.ERRORS_REPORT, m -> reports.add(m.body())).completion());
  }

  @AfterEach
  void closeVertx() {
    done(vertx.close());
  }

  HubConfig config(JsonObject overrides) {
    JsonObject j = new JsonObject()
        .put("nodeId", "node-a")
        .put("dataDir", dir.toString())
        .put("socketPath", dir.resolve("hub.sock").toString())
        .put("crawlerTokens", new io.vertx.core.json.JsonArray().add(TOKEN))
        .put("http", new JsonObject().put("adminToken", "admin-secret"));
    return HubConfig.fromJson(j.mergeIn(overrides, true));
  }

  /** Prepares the socket path, deploys {@code instances} gateways, the status verticle and the fake router. */
  void startHub(JsonObject overrides, int instances) throws IOException {
    cfg = config(overrides);
    GatewayVerticle.prepareSocketPath(cfg);
    HubConfig c = cfg;
    done(vertx.deployVerticle(() -> new GatewayVerticle(c), new DeploymentOptions().setInstances(instances)));
    done(vertx.deployVerticle(new StatusVerticle(cfg)));
    router = FakeRouter.start(vertx);
  }

  void startHub(JsonObject overrides) throws IOException {
    startHub(overrides, 1);
  }

  TestCrawler unixCrawler() throws IOException {
    return TestCrawler.unix(cfg.socketPath());
  }

  TestCrawler tcpCrawler() throws IOException {
    return TestCrawler.tcp(cfg.port());
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  JsonObject awaitEvent(Predicate<JsonObject> p) {
    await().atMost(Duration.ofSeconds(10)).until(() -> events.stream().anyMatch(p));
    return events.stream().filter(p).findFirst().orElseThrow();
  }

  JsonObject awaitEvent(String event, String connectionOrCrawlerId) {
    return awaitEvent(e -> event.equals(e.getString("event"))
        && (connectionOrCrawlerId.equals(e.getString("connectionId"))
        || connectionOrCrawlerId.equals(e.getString("crawlerId"))));
  }

  JsonObject awaitReport(String code) {
    await().atMost(Duration.ofSeconds(10)).until(() -> reports.stream().anyMatch(r -> code.equals(r.getString("code"))));
    return reports.stream().filter(r -> code.equals(r.getString("code"))).findFirst().orElseThrow();
  }

  List<String> eventNames(String connectionId) {
    return events.stream().filter(e -> connectionId.equals(e.getString("connectionId")))
        .map(e -> e.getString("event")).collect(Collectors.toList());
  }

  JsonObject request(String address, Object body) {
    return done(vertx.eventBus().<JsonObject>request(address, body)).body();
  }

  static <T> T done(Future<T> f) {
    return FakeRouter.await(f);
  }

  /** The connectionId the router saw on the last message it received. */
  String lastConnectionId() {
    await().atMost(Duration.ofSeconds(10)).until(() -> !router.received.isEmpty());
    String id = null;
    for (var m : router.received) {
      id = m.headers().get(Addresses.Headers.CONNECTION_ID);
    }
    return id;
  }
}
