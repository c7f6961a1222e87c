package org.crawlerhub.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's view of its crawler connections, shared by every gateway instance (each runs on its
 * own event loop) and read by the status verticle. It enforces {@code maxConnections} node-wide,
 * issues connection ids and maps a crawlerId to the connection that currently owns it (the newest
 * wins). One per Vert.x instance, kept in a local shared-data map.
 */
final class ConnectionRegistry implements Shareable {
  private static final String MAP = "hub.gateway";
  private static final String KEY = "connection-registry";

  private final long createdAt = System.currentTimeMillis();
  private final AtomicLong ids = new AtomicLong();
  private final AtomicInteger open = new AtomicInteger();
  private final ConcurrentHashMap<String, CrawlerConnection> byConnection = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, CrawlerConnection> byCrawler = new ConcurrentHashMap<>();
  private final Set<GatewayVerticle> gateways = ConcurrentHashMap.newKeySet();
  private final Set<JsonObject> listeners = ConcurrentHashMap.newKeySet();
  private volatile boolean shuttingDown;

  static ConnectionRegistry of(Vertx vertx) {
    LocalMap<String, ConnectionRegistry> map = vertx.sharedData().getLocalMap(MAP);
    return map.computeIfAbsent(KEY, k -> new ConnectionRegistry());
  }

  long createdAt() {
    return createdAt;
  }

  String nextConnectionId(String nodeId) {
    return (nodeId == null ? "node" : nodeId) + "-c" + ids.incrementAndGet();
  }

  /** Takes one of {@code max} node-wide connection slots; false when the node is full. */
  boolean tryReserve(int max) {
    while (true) {
      int n = open.get();
      if (n >= max) {
        return false;
      }
      if (open.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** Crawlers with a live connection on this node. */
  double crawlerCount() {
    return byCrawler.size();
  }

  void add(CrawlerConnection c) {
    byConnection.put(c.connectionId(), c);
  }

  /** Releases the slot taken by {@link #tryReserve} and forgets the connection. */
  void remove(CrawlerConnection c) {
    if (byConnection.remove(c.connectionId(), c)) {
      open.decrementAndGet();
    }
    String crawlerId = c.crawlerId();
    if (crawlerId != null) {
      byCrawler.remove(crawlerId, c);
    }
  }

  /** Binds crawlerId to c; returns the connection that held it before (to be superseded), or null. */
  CrawlerConnection bindCrawler(String crawlerId, CrawlerConnection c) {
    CrawlerConnection previous = byCrawler.put(crawlerId, c);
    return previous == c ? null : previous;
  }

  void unbindCrawler(String crawlerId, CrawlerConnection c) {
    byCrawler.remove(crawlerId, c);
  }

  CrawlerConnection byCrawler(String crawlerId) {
    return byCrawler.get(crawlerId);
  }

  /** Connections that are open right now (closed ones leave immediately). */
  Collection<CrawlerConnection> connections() {
    return byConnection.values();
  }

  int size() {
    return byConnection.size();
  }

  int crawlerBindings() {
    return byCrawler.size();
  }

  void addGateway(GatewayVerticle g) {
    gateways.add(g);
  }

  void removeGateway(GatewayVerticle g) {
    gateways.remove(g);
  }

  Set<GatewayVerticle> gateways() {
    return gateways;
  }

  void addListener(String transport, String address, boolean tls) {
    JsonObject l = new JsonObject().put("transport", transport).put("address", address);
    listeners.add(tls ? l.put("tls", true) : l);
  }

  void clearListeners() {
    listeners.clear();
  }

  Set<JsonObject> listeners() {
    return listeners;
  }

  boolean shuttingDown() {
    return shuttingDown;
  }

  void shuttingDown(boolean v) {
    shuttingDown = v;
  }
}
