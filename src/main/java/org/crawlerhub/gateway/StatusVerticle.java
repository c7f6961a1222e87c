package org.crawlerhub.gateway;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.metrics.HubMetrics;

/**
 * Answers {@code hub.status} (ServerStatus) and {@code hub.connections} (ConnectionStats) from the
 * node's connection registry (SPEC §4). Deploy one instance per node (more are harmless). Closed
 * connections leave the registry, and so the counts, as soon as their socket closes.
 *
 * <p>Counting rules: {@code connections} = open sockets; {@code activeConnections} = open sockets
 * that may exchange messages (authenticated: every Unix socket, TCP after its {@code hello}). In
 * ConnectionStats each crawler is counted by its last heartbeat's {@code systemStatus}:
 * {@code error} -> error, {@code discovering}/{@code processing} -> active, {@code idle} or no
 * heartbeat yet -> idle; {@code total} is their sum. A {@code hub.connections} request body
 * {@code {"crawlerId": "..."}} keeps only that crawler in {@code crawlers} (the counts stay
 * node-wide). In a cluster each node answers for its own connections; {@link #statusAddress} and
 * {@link #connectionsAddress} reach one node in particular.
 */
public class StatusVerticle extends VerticleBase {
  private final HubConfig cfg;
  private ConnectionRegistry registry;

  public StatusVerticle(HubConfig cfg) {
    this.cfg = cfg;
  }

  @Override
  public Future<?> start() {
    registry = ConnectionRegistry.of(vertx);
    // One gauge per process: crawlers with a live connection on this node (the registry is per node).
    MeterRegistry meters = HubMetrics.registry();
    if (meters.find(HubMetrics.CRAWLERS_ACTIVE).gauge() == null) {
      Gauge.builder(HubMetrics.CRAWLERS_ACTIVE, registry, ConnectionRegistry::crawlerCount).register(meters);
    }
    List<Future<?>> registered = new ArrayList<>();
    registered.add(vertx.eventBus().consumer(Addresses.STATUS, this::status).completion());
    registered.add(vertx.eventBus().consumer(Addresses.CONNECTIONS, this::connections).completion());
    if (cfg.nodeId() != null) {
      registered.add(vertx.eventBus().consumer(statusAddress(cfg.nodeId()), this::status).completion());
      registered.add(vertx.eventBus().consumer(connectionsAddress(cfg.nodeId()), this::connections).completion());
    }
    return Future.all(registered);
  }

  /** {@code hub.status.<nodeId>}: the same answer as {@code hub.status}, from that node only (cluster). */
  public static String statusAddress(String nodeId) {
    return Addresses.status(nodeId);
  }

  /** {@code hub.connections.<nodeId>}: the same answer as {@code hub.connections}, from that node only. */
  public static String connectionsAddress(String nodeId) {
    return Addresses.connections(nodeId);
  }

  private void status(Message<Object> m) {
    int open = 0;
    int active = 0;
    for (CrawlerConnection c : registry.connections()) {
      if (c.isOpen()) {
        open++;
        if (c.authenticated()) {
          active++;
        }
      }
    }
    JsonArray listeners = new JsonArray();
    registry.listeners().forEach(l -> listeners.add(l.copy()));
    m.reply(new JsonObject()
        .put("running", !registry.gateways().isEmpty() && !registry.shuttingDown())
        .put("nodeId", cfg.nodeId())
        .put("uptimeMs", System.currentTimeMillis() - registry.createdAt())
        .put("connections", open)
        .put("activeConnections", active)
        .put("listeners", listeners)
        .put("config", cfg.toMaskedJson()));
  }

  private void connections(Message<Object> m) {
    String only = m.body() instanceof JsonObject b && b.getValue("crawlerId") instanceof String id ? id : null;
    int active = 0;
    int idle = 0;
    int error = 0;
    JsonArray crawlers = new JsonArray();
    for (CrawlerConnection c : registry.connections()) {
      if (!c.isOpen()) {
        continue;
      }
      String s = c.systemStatus();
      if ("error".equals(s)) {
        error++;
      } else if ("discovering".equals(s) || "processing".equals(s)) {
        active++;
      } else {
        idle++;
      }
      if (only == null || only.equals(c.crawlerId())) {
        crawlers.add(c.stats());
      }
    }
    m.reply(new JsonObject()
        .put("total", active + idle + error)
        .put("active", active)
        .put("idle", idle)
        .put("error", error)
        .put("crawlers", crawlers));
  }
}
