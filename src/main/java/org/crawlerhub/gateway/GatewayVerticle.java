package org.crawlerhub.gateway;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.bus.DirectLane;
import org.crawlerhub.bus.LocalJsonCodec;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.metrics.HubMetrics;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.Frames;
import org.crawlerhub.protocol.MessageType;
import org.crawlerhub.protocol.ProtocolCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Terminates crawler sockets (Unix domain socket and/or TCP, optional TLS) and bridges them to the
 * event bus (docs/ARCHITECTURE.md, "Message flow"). Deploy any number of instances: Vert.x shares
 * the listeners between them and each instance serves its connections on its own event loop; the
 * node-wide state (connection limit, crawlerId ownership, statistics) lives in the
 * {@link ConnectionRegistry}.
 *
 * <p>Before deploying, call {@link #prepareSocketPath(HubConfig)} once (it removes a stale socket
 * file; doing that in every instance's start could unlink a live socket). For a graceful stop call
 * {@link #shutdownCrawlers(Vertx, String, long)} (or send to {@link #SHUTDOWN_ADDRESS}), wait with
 * {@link #awaitDisconnected(Vertx, long)}, then undeploy.
 */
public class GatewayVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayVerticle.class);

  /**
   * Local request/reply: {@code {reason?, timeoutSeconds?}} -> {@code {notified: n}}. Same as
   * {@link #shutdownCrawlers}: new connections are refused and every crawler gets {@code shutdown}.
   */
  public static final String SHUTDOWN_ADDRESS = Addresses.GATEWAY_SHUTDOWN;

  static final JsonObject DELIVERED = new JsonObject().put("delivered", true);
  private static final long DEFAULT_INBOUND_TIMEOUT_MS = 30_000;

  private final HubConfig cfg;
  private final Set<CrawlerConnection> connections = new HashSet<>();
  private final List<NetServer> servers = new ArrayList<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private ConnectionRegistry registry;
  private GatewayMeters meters;
  private String nodeId;
  private long scanTimer = -1;
  private boolean stopped;

  public GatewayVerticle(HubConfig cfg) {
    this.cfg = cfg;
  }

  /**
   * Removes a stale socket file and creates the socket's parent directories. Call once, before
   * deploying the gateway instances (blocking file I/O: not on an event loop).
   *
   * @throws IllegalStateException when another process is listening on the socket, or the path is
   *     not a socket (a misconfigured path must not delete a regular file)
   */
  public static void prepareSocketPath(HubConfig cfg) throws IOException {
    if (!cfg.socketEnabled()) {
      return;
    }
    Path path = Path.of(cfg.socketPath()).toAbsolutePath();
    if (path.getParent() != null) {
      Files.createDirectories(path.getParent());
    }
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    if (!attrs.isOther()) {
      throw new IllegalStateException("socketPath " + path + " exists and is not a socket; refusing to delete it");
    }
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(path));
      throw new IllegalStateException("another process is listening on " + path);
    } catch (IOException refused) {
      // nobody listens: the file is stale
    }
    Files.deleteIfExists(path);
  }

  @Override
  public Future<?> start() {
    nodeId = cfg.nodeId() == null ? "node" : cfg.nodeId();
    registry = ConnectionRegistry.of(vertx);
    registry.shuttingDown(false);
    registry.addGateway(this);
    meters = new GatewayMeters(HubMetrics.registry());
    LocalJsonCodec.register(vertx.eventBus());

    List<Future<?>> steps = new ArrayList<>();
    steps.add(track(vertx.eventBus().consumer(Addresses.CRAWLER_BROADCAST, this::onBroadcast)));
    steps.add(track(vertx.eventBus().consumer(Addresses.CRAWLER_EVENTS, this::onConnectionEvent)));
    steps.add(track(vertx.eventBus().localConsumer(SHUTDOWN_ADDRESS, this::onShutdownRequest)));
    if (cfg.socketEnabled()) {
      steps.add(listenUnix());
    }
    if (cfg.tcpEnabled()) {
      steps.add(listenTcp());
    }
    scanTimer = vertx.setPeriodic(scanPeriod(), id -> scan());
    // a failed start (e.g. port in use) must not leave the timer, consumers or a bound listener behind
    return Future.all(steps).recover(t -> stop().transform(ignored -> Future.failedFuture(t)));
  }

  private Future<Void> track(MessageConsumer<?> c) {
    consumers.add(c);
    return c.completion();
  }

  private Future<?> listenUnix() {
    NetServer server = vertx.createNetServer(new NetServerOptions())
        .connectHandler(s -> onConnect(s, Transport.UNIX));
    servers.add(server);
    String path = cfg.socketPath();
    return server.listen(SocketAddress.domainSocketAddress(path))
        .compose(s -> cfg.socketMode() == null || cfg.socketMode().isBlank()
            ? Future.succeededFuture()
            : vertx.fileSystem().chmod(path, cfg.socketMode()))
        .onSuccess(v -> {
          registry.addListener(Transport.UNIX.wire(), path, false);
          LOG.info("gateway listening on unix:{}", path);
        });
  }

  private Future<?> listenTcp() {
    NetServerOptions options = new NetServerOptions().setHost(cfg.host()).setPort(cfg.port()).setTcpNoDelay(true);
    if (cfg.tls() != null && cfg.tls().enabled()) {
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
          .setKeyPath(cfg.tls().keyPath()).setCertPath(cfg.tls().certPath()));
    }
    NetServer server = vertx.createNetServer(options).connectHandler(s -> onConnect(s, Transport.TCP));
    servers.add(server);
    return server.listen().onSuccess(s -> {
      String address = cfg.host() + ":" + s.actualPort();
      registry.addListener(Transport.TCP.wire(), address, options.isSsl());
      LOG.info("gateway listening on tcp:{}{}", address, options.isSsl() ? " (TLS)" : "");
    });
  }

  private void onConnect(NetSocket socket, Transport transport) {
    String connectionId = registry.nextConnectionId(nodeId);
    if (stopped || registry.shuttingDown()) {
      socket.close();
      return;
    }
    if (!registry.tryReserve(cfg.maxConnections())) {
      rejectOverLimit(socket, transport, connectionId);
      return;
    }
    CrawlerConnection c = new CrawlerConnection(this, socket, transport, connectionId);
    registry.add(c);
    connections.add(c);
    GatewayMeters.openGauge(transport).incrementAndGet();
    c.start();
  }

  private void rejectOverLimit(NetSocket socket, Transport transport, String connectionId) {
    String message = "connection limit of " + cfg.maxConnections() + " reached";
    socket.write(ProtocolCodec.encode(Frames.error(ErrorCode.OVERLOADED, message, null, null)));
    socket.close();
    meters.connectionOpened(transport, "overloaded");
    meters.messageOut(MessageType.ERROR);
    JsonObject at = new JsonObject().put("connectionId", connectionId).put("crawlerId", connectionId)
        .put("nodeId", nodeId).put("transport", transport.wire()).put("at", Frames.now());
    publishEvent(at.copy().put("event", "rejected").put("code", ErrorCode.OVERLOADED.name())
        .put("reason", "overloaded"));
    vertx.eventBus().send(Addresses.ERRORS_REPORT, at.put("code", ErrorCode.OVERLOADED.name())
        .put("category", ErrorCode.OVERLOADED.category().wire())
        .put("severity", ErrorCode.OVERLOADED.severity().wire())
        .put("message", message).put("source", "gateway"));
    LOG.warn("refused connection {}: {}", connectionId, message);
  }

  /** Called by a connection once its socket is closed. */
  void connectionClosed(CrawlerConnection c) {
    if (connections.remove(c)) {
      GatewayMeters.openGauge(c.transport()).decrementAndGet();
    }
  }

  // ---------------------------------------------------------------- liveness scanner

  private long scanPeriod() {
    long shortest = cfg.heartbeatTimeout();
    if (cfg.tcpEnabled()) {
      shortest = Math.min(shortest, cfg.authTimeout());
    }
    return Math.max(10, Math.min(1000, shortest / 4));
  }

  /** One pass over this instance's connections: auth timeouts and heartbeat timeouts. */
  private void scan() {
    long now = System.currentTimeMillis();
    List<CrawlerConnection> unauthenticated = null;
    List<CrawlerConnection> idle = null;
    for (CrawlerConnection c : connections) {
      boolean isIdle = c.idleSince(now, cfg.heartbeatTimeout());
      if (!c.authenticated() && now - c.connectedAt() >= cfg.authTimeout()) {
        (unauthenticated == null ? unauthenticated = new ArrayList<>() : unauthenticated).add(c);
      } else if (isIdle) {
        (idle == null ? idle = new ArrayList<>() : idle).add(c);
      }
    }
    if (unauthenticated != null) {
      unauthenticated.forEach(CrawlerConnection::authTimedOut);
    }
    if (idle != null) {
      idle.forEach(CrawlerConnection::heartbeatTimedOut);
    }
  }

  // ---------------------------------------------------------------- bus handlers

  private void onBroadcast(Message<Object> m) {
    if (!(m.body() instanceof JsonObject msg)) {
      LOG.warn("ignored a broadcast that is not a JSON object");
      return;
    }
    JsonObject copy = msg.copy();
    String problem = CrawlerConnection.outboundProblem(copy);
    if (problem == null && MessageType.JOB_ASSIGNMENT.wire().equals(copy.getValue("type"))) {
      problem = "type: job_assignment cannot be broadcast";
    }
    if (problem != null) {
      LOG.warn("ignored an invalid broadcast: {}", problem);
      if (m.replyAddress() != null) {
        m.fail(400, "VALIDATION_FAILED: " + problem);
      }
      return;
    }
    int recipients = writeToAll(ProtocolCodec.encode(copy), MessageType.fromWire(copy.getString("type")));
    if (m.replyAddress() != null) {
      m.reply(new JsonObject().put("recipients", recipients));
    }
  }

  private int writeToAll(Buffer encoded, MessageType type) {
    int n = 0;
    for (CrawlerConnection c : connections) {
      if (c.writeIfReachable(encoded, type)) {
        n++;
      }
    }
    return n;
  }

  /** Another node accepted a hello for a crawlerId one of our connections holds: the newer wins. */
  private void onConnectionEvent(Message<Object> m) {
    if (!(m.body() instanceof JsonObject e) || !"authenticated".equals(e.getValue("event"))
        || nodeId.equals(e.getValue("nodeId")) || !(e.getValue("crawlerId") instanceof String crawlerId)) {
      return;
    }
    CrawlerConnection c = registry.byCrawler(crawlerId);
    String remoteConnection = String.valueOf(e.getValue("connectionId"));
    if (c != null && c.gateway() == this && !c.connectionId().equals(remoteConnection)
        && c.supersededBy(remoteBinding(e), remoteConnection)) {
      c.supersededRemotely(String.valueOf(e.getValue("nodeId")));
    }
  }

  private static java.time.Instant remoteBinding(JsonObject e) {
    try {
      return e.getValue("at") instanceof String at ? java.time.Instant.parse(at) : null;
    } catch (java.time.format.DateTimeParseException unreadable) {
      return null;
    }
  }

  private void onShutdownRequest(Message<Object> m) {
    JsonObject body = m.body() instanceof JsonObject o ? o : new JsonObject();
    shutdownCrawlers(vertx, body.getString("reason"), body.getLong("timeoutSeconds", cfg.shutdownTimeout() / 1000))
        .onSuccess(n -> m.reply(new JsonObject().put("notified", n)))
        .onFailure(t -> m.fail(500, "INTERNAL: " + t.getMessage()));
  }

  // ---------------------------------------------------------------- graceful shutdown

  /**
   * Starts a graceful shutdown of every gateway instance of this Vert.x node: new connections are
   * refused from now on and every connected crawler gets a {@code shutdown} frame
   * ({@code graceful: true}). Connections stay open so crawlers can send their final messages.
   * Idempotent (a second call sends {@code shutdown} again).
   *
   * @return the number of crawlers notified
   */
  public static Future<Integer> shutdownCrawlers(Vertx vertx, String reason, long timeoutSeconds) {
    ConnectionRegistry registry = ConnectionRegistry.of(vertx);
    registry.shuttingDown(true);
    Buffer frame = ProtocolCodec.encode(Frames.shutdown(true, timeoutSeconds, reason));
    List<Future<Integer>> notified = new ArrayList<>();
    for (GatewayVerticle g : registry.gateways()) {
      Promise<Integer> p = Promise.promise();
      g.context.runOnContext(v -> p.complete(g.writeToAll(frame, MessageType.SHUTDOWN)));
      notified.add(p.future());
    }
    return Future.all(notified).map(all -> {
      int n = 0;
      for (int i = 0; i < all.size(); i++) {
        n += all.<Integer>resultAt(i);
      }
      LOG.info("sent shutdown to {} crawler(s)", n);
      return n;
    });
  }

  /**
   * Completes with true once every crawler connection of this node has closed, or with false when
   * {@code timeoutMs} passed first (undeploying the gateway then closes the rest).
   */
  public static Future<Boolean> awaitDisconnected(Vertx vertx, long timeoutMs) {
    ConnectionRegistry registry = ConnectionRegistry.of(vertx);
    if (registry.size() == 0) {
      return Future.succeededFuture(true);
    }
    Promise<Boolean> done = Promise.promise();
    long deadline = System.currentTimeMillis() + timeoutMs;
    vertx.setPeriodic(50, id -> {
      boolean empty = registry.size() == 0;
      if (empty || System.currentTimeMillis() >= deadline) {
        vertx.cancelTimer(id);
        done.tryComplete(empty);
      }
    });
    return done.future();
  }

  /** Closes the listeners and this instance's connections. Idempotent. */
  @Override
  public Future<?> stop() {
    if (stopped) {
      return Future.succeededFuture();
    }
    stopped = true;
    if (scanTimer >= 0) {
      vertx.cancelTimer(scanTimer);
      scanTimer = -1;
    }
    List<Future<?>> closing = new ArrayList<>();
    for (CrawlerConnection c : new ArrayList<>(connections)) {
      c.closeQuietly("server_stop");
    }
    for (MessageConsumer<?> c : consumers) {
      closing.add(c.unregister());
    }
    consumers.clear();
    for (NetServer s : servers) {
      closing.add(s.close());
    }
    servers.clear();
    registry.removeGateway(this);
    if (registry.gateways().isEmpty()) {
      registry.clearListeners();
    }
    return Future.join(closing);
  }

  // ---------------------------------------------------------------- for connections

  HubConfig hubConfig() {
    return cfg;
  }

  Vertx vertx() {
    return vertx;
  }

  Context context() {
    return context;
  }

  ConnectionRegistry registry() {
    return registry;
  }

  GatewayMeters meters() {
    return meters;
  }

  String nodeId() {
    return nodeId;
  }

  /** True when this node's router takes the batch form on {@code address} (else send singly). */
  /**
   * The router partition for a new connection, fixed for its lifetime (so its messages stay in
   * order): the partition running on this gateway's event loop when there is one, so the
   * hand-over stays on one thread; else one chosen by the connection id.
   */
  int routerPartitionFor(String connectionId) {
    Integer lane = vertx.sharedData().<String, Integer>getLocalMap(Addresses.ROUTER_LANES)
        .get(Thread.currentThread().getName());
    int partitions = Math.max(1, cfg.instances().router());
    return lane != null && lane < partitions ? lane : Math.floorMod(connectionId.hashCode(), partitions);
  }

  /** The router partition behind {@code batchAddress} as a direct call, when it runs on this node. */
  DirectLane directLane(String batchAddress) {
    return DirectLane.find(vertx, batchAddress);
  }

  boolean takesBatches(String address) {
    return vertx.sharedData().getLocalMap(Addresses.BATCH_CONSUMERS).get(address) != null;
  }

  long inboundTimeout() {
    return cfg.connectionTimeout() > 0 ? cfg.connectionTimeout() : DEFAULT_INBOUND_TIMEOUT_MS;
  }

  void publishEvent(JsonObject event) {
    vertx.eventBus().publish(Addresses.CRAWLER_EVENTS, event);
  }
}
