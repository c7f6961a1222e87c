package org.crawlerhub.gateway;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.cluster.ClusterSupport;
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
 *
 * <p>Clustered, each node also publishes its summary on {@link Addresses#STATUS_NODES} every
 * {@link #ANNOUNCE_MS} (and once more, {@code leaving}, when it stops), and its ServerStatus gets a
 * {@code cluster} block: {@code {nodes:[summary…], connections, activeConnections}}, this node's
 * summary fresh, the others' as last announced ({@code ageMs}); a node silent for
 * {@code 3 × ANNOUNCE_MS}, or no longer a cluster member, is left out.
 */
public class StatusVerticle extends VerticleBase {
  /** How often a clustered node announces its summary on {@link Addresses#STATUS_NODES}. */
  public static final long ANNOUNCE_MS = 2000;

  private final HubConfig cfg;
  private ConnectionRegistry registry;
  /** Other nodes' last summaries (nodeId -> summary with the local receive time in "receivedAt"). */
  private final Map<String, JsonObject> peers = new HashMap<>();
  private long announceTimer = -1;

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
    if (vertx.isClustered()) {
      registered.add(vertx.eventBus().consumer(Addresses.STATUS_NODES, this::onPeer).completion());
      // a node that died announces nothing: drop it as soon as the cluster says it is gone
      registered.add(vertx.eventBus().<String>localConsumer(Addresses.CLUSTER_NODE_LEFT,
          m -> peers.remove(m.body())).completion());
      announceTimer = vertx.setPeriodic(ANNOUNCE_MS, id -> announce());
    }
    return Future.all(registered).onSuccess(v -> {
      if (vertx.isClustered()) {
        announce();
      }
    });
  }

  @Override
  public Future<?> stop() {
    if (announceTimer >= 0) {
      vertx.cancelTimer(announceTimer);
      vertx.eventBus().publish(Addresses.STATUS_NODES, new JsonObject().put("nodeId", cfg.nodeId()).put("leaving", true));
    }
    return Future.succeededFuture();
  }

  private void announce() {
    vertx.eventBus().publish(Addresses.STATUS_NODES, summary().put("at", java.time.Instant.now().toString()));
  }

  private void onPeer(Message<Object> m) {
    if (!(m.body() instanceof JsonObject s) || !(s.getValue("nodeId") instanceof String id) || id.equals(cfg.nodeId())) {
      return;
    }
    if (Boolean.TRUE.equals(s.getValue("leaving")) || !ClusterSupport.isMember(vertx, id)) {
      peers.remove(id); // leaving, or no longer a member (its announcements may still arrive)
    } else {
      peers.put(id, s.copy().put("receivedAt", System.currentTimeMillis()));
    }
  }

  /** {@code hub.status.<nodeId>}: the same answer as {@code hub.status}, from that node only (cluster). */
  public static String statusAddress(String nodeId) {
    return Addresses.status(nodeId);
  }

  /** {@code hub.connections.<nodeId>}: the same answer as {@code hub.connections}, from that node only. */
  public static String connectionsAddress(String nodeId) {
    return Addresses.connections(nodeId);
  }

  /** This node's part of ServerStatus: {@code nodeId, running, uptimeMs, connections, activeConnections}. */
  private JsonObject summary() {
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
    return new JsonObject()
        .put("nodeId", cfg.nodeId())
        .put("running", !registry.gateways().isEmpty() && !registry.shuttingDown())
        .put("uptimeMs", System.currentTimeMillis() - registry.createdAt())
        .put("connections", open)
        .put("activeConnections", active);
  }

  private void status(Message<Object> m) {
    JsonObject status = summary();
    JsonArray listeners = new JsonArray();
    registry.listeners().forEach(l -> listeners.add(l.copy()));
    status.put("listeners", listeners).put("config", cfg.toMaskedJson());
    if (vertx.isClustered()) {
      status.put("cluster", cluster(status));
    }
    m.reply(status);
  }

  /** The cluster block: this node fresh, every other node as last announced (silent ones dropped). */
  private JsonObject cluster(JsonObject own) {
    long now = System.currentTimeMillis();
    List<JsonObject> nodes = new ArrayList<>();
    nodes.add(new JsonObject().put("nodeId", own.getString("nodeId")).put("running", own.getBoolean("running"))
        .put("uptimeMs", own.getLong("uptimeMs")).put("connections", own.getInteger("connections"))
        .put("activeConnections", own.getInteger("activeConnections")).put("ageMs", 0L));
    for (Iterator<JsonObject> it = peers.values().iterator(); it.hasNext(); ) {
      JsonObject p = it.next();
      long age = now - p.getLong("receivedAt");
      if (age > 3 * ANNOUNCE_MS || !ClusterSupport.isMember(vertx, p.getString("nodeId"))) {
        it.remove(); // silent (crashed or partitioned away), or the cluster says it is gone
        continue;
      }
      JsonObject n = p.copy().put("ageMs", age);
      n.remove("receivedAt");
      n.remove("at");
      nodes.add(n);
    }
    nodes.sort(java.util.Comparator.comparing(n -> String.valueOf(n.getValue("nodeId"))));
    int open = 0;
    int active = 0;
    for (JsonObject n : nodes) {
      open += n.getInteger("connections", 0);
      active += n.getInteger("activeConnections", 0);
    }
    return new JsonObject().put("nodes", new JsonArray(new ArrayList<>(nodes))).put("connections", open)
        .put("activeConnections", active);
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
