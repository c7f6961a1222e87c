package org.crawlerhub.progress;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Crawlers as seen from {@code hub.crawler.events} and heartbeats: live connections (for
 * {@code connectedCrawlers}) and each crawler's last reported status. Every progress instance on
 * every node sees the same published events, so each keeps its own copy. Connections whose
 * disconnect was never announced (a node died) are dropped when the cluster reports that node
 * gone ({@link #nodeLeft}), and in any case after {@code staleAfterNanos} of silence.
 */
final class CrawlerDirectory {
  private static final class Connection {
    String crawlerId;
    String nodeId;
    long lastSeenNanos;
  }

  private static final class Crawler {
    String systemStatus;
    long reportedActiveJobs = -1;
    long totalProcessed = -1;
    String lastHeartbeat;
    String nodeId;
    long lastSeenNanos;
  }

  private final Map<String, Connection> connections = new HashMap<>();
  /**
   * crawlerId -> number of its live entries in {@link #connections}, kept in step with every change
   * there, so {@code connectedCrawlers} is a size and not a set rebuilt over all connections (with
   * 10,000 connections that rebuild was the progress verticle's top cost while idle).
   */
  private final Map<String, Integer> liveByCrawler = new HashMap<>();
  private final Map<String, Crawler> crawlers = new HashMap<>();
  private final long staleAfterNanos;
  private final long forgetAfterNanos;

  CrawlerDirectory(long staleAfterNanos, long forgetAfterNanos) {
    this.staleAfterNanos = staleAfterNanos;
    this.forgetAfterNanos = forgetAfterNanos;
  }

  void onEvent(JsonObject ev, long nowNanos) {
    String event = ev.getString("event");
    String connectionId = ev.getString("connectionId");
    String crawlerId = ev.getString("crawlerId", connectionId);
    if (event == null || connectionId == null) {
      return;
    }
    switch (event) {
      case "connected", "authenticated", "heartbeat" -> {
        touch(connectionId, crawlerId, ev.getString("nodeId"), nowNanos);
        Crawler c = crawler(crawlerId, nowNanos);
        String nodeId = ev.getString("nodeId");
        if (differs(c.nodeId, nodeId)) {
          c.nodeId = nodeId;
        }
      }
      case "disconnected", "heartbeat_timeout", "rejected" -> {
        Connection gone = connections.remove(connectionId);
        if (gone != null) {
          release(gone.crawlerId);
        }
      }
      default -> { }
    }
  }

  void onHeartbeat(JsonObject envelope, String connectionId, String crawlerId, String nodeId, long nowNanos) {
    String id = crawlerId != null ? crawlerId : connectionId;
    if (id == null) {
      return;
    }
    if (connectionId != null) {
      touch(connectionId, id, nodeId, nowNanos);
    }
    Crawler c = crawler(id, nowNanos);
    if (envelope.getValue("data") instanceof JsonObject data) {
      if (data.getValue("systemStatus") instanceof String s && differs(c.systemStatus, s)) {
        c.systemStatus = s;
      }
      if (data.getValue("activeJobs") instanceof Number n) {
        c.reportedActiveJobs = n.longValue();
      }
      if (data.getValue("totalProcessed") instanceof Number n) {
        c.totalProcessed = n.longValue();
      }
    }
    c.lastHeartbeat = envelope.getString("timestamp");
    if (nodeId != null && differs(c.nodeId, nodeId)) {
      c.nodeId = nodeId;
    }
  }

  /** Any accepted message from a connection (on node {@code nodeId}, if known) proves it alive. */
  void touch(String connectionId, String crawlerId, String nodeId, long nowNanos) {
    if (connectionId == null) {
      return;
    }
    String id = crawlerId != null ? crawlerId : connectionId;
    Connection c = connections.get(connectionId);
    if (c == null) {
      c = new Connection();
      connections.put(connectionId, c);
      liveByCrawler.merge(id, 1, Integer::sum);
    } else if (!id.equals(c.crawlerId)) {
      release(c.crawlerId);
      liveByCrawler.merge(id, 1, Integer::sum);
    }
    if (differs(c.crawlerId, id)) {
      c.crawlerId = id;
    }
    if (nodeId != null && differs(c.nodeId, nodeId)) {
      c.nodeId = nodeId;
    }
    c.lastSeenNanos = nowNanos;
  }

  /**
   * Whether {@code next} differs from {@code current}. Every heartbeat brings freshly decoded
   * strings; storing one into these long-lived entries, even an equal one, marks a card that G1's
   * refinement must then scan, and with 10,000 idle crawlers that was a large part of the hub's
   * idle CPU. Unchanged values are therefore not stored again.
   */
  private static boolean differs(String current, String next) {
    return next == null ? current != null : !next.equals(current);
  }

  /** A node left the cluster: its connections are gone (it will never announce their ends). */
  void nodeLeft(String nodeId) {
    for (Iterator<Connection> it = connections.values().iterator(); it.hasNext(); ) {
      Connection c = it.next();
      if (nodeId.equals(c.nodeId)) {
        it.remove();
        release(c.crawlerId);
      }
    }
  }

  /** One connection of {@code crawlerId} is no longer live. */
  private void release(String crawlerId) {
    liveByCrawler.computeIfPresent(crawlerId, (k, n) -> n > 1 ? n - 1 : null);
  }

  void expire(long nowNanos) {
    for (Iterator<Connection> it = connections.values().iterator(); it.hasNext(); ) {
      Connection c = it.next();
      if (nowNanos - c.lastSeenNanos > staleAfterNanos) {
        it.remove();
        release(c.crawlerId);
      }
    }
    Set<String> live = liveCrawlers();
    for (Iterator<Map.Entry<String, Crawler>> it = crawlers.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Crawler> e = it.next();
      if (!live.contains(e.getKey()) && nowNanos - e.getValue().lastSeenNanos > forgetAfterNanos) {
        it.remove();
      }
    }
  }

  int connectedCrawlers() {
    return liveCrawlers().size();
  }

  /**
   * Per-crawler view: status from heartbeats, plus {@code jobs} {crawlerId: {activeJobs, rate,
   * processed}} merged from the partitions' partial summaries.
   */
  JsonArray toJson(JsonObject jobs) {
    Set<String> ids = new TreeSet<>(crawlers.keySet());
    ids.addAll(liveCrawlers());
    jobs.fieldNames().forEach(ids::add);
    Set<String> live = liveCrawlers();
    JsonArray out = new JsonArray();
    for (String id : ids) {
      Crawler c = crawlers.get(id);
      JsonObject j = jobs.getJsonObject(id, new JsonObject());
      long tracked = j.getLong("activeJobs", 0L);
      JsonObject o = new JsonObject().put("crawlerId", id).put("connected", live.contains(id))
          .put("activeJobs", c != null && c.reportedActiveJobs >= 0 ? c.reportedActiveJobs : tracked)
          .put("trackedJobs", tracked)
          .put("rate", j.getDouble("rate", 0.0))
          .put("processed", j.getLong("processed", 0L));
      if (c != null) {
        o.put("systemStatus", c.systemStatus).put("lastHeartbeat", c.lastHeartbeat).put("nodeId", c.nodeId);
        if (c.totalProcessed >= 0) {
          o.put("totalProcessed", c.totalProcessed);
        }
      }
      out.add(o);
    }
    return out;
  }

  /** Crawlers with at least one live connection (a read-only view). */
  private Set<String> liveCrawlers() {
    return java.util.Collections.unmodifiableSet(liveByCrawler.keySet());
  }

  private Crawler crawler(String id, long nowNanos) {
    Crawler c = crawlers.computeIfAbsent(id, k -> new Crawler());
    c.lastSeenNanos = nowNanos;
    return c;
  }
}
