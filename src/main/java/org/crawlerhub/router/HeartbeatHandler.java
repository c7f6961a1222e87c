package org.crawlerhub.router;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.LocalMap;

/**
 * Built-in {@code heartbeat} handler: keeps each crawler's latest status (systemStatus,
 * activeJobs, totalProcessed, memoryUsage, uptime, lastHeartbeat) in a node-local map shared by
 * all router instances, keyed by crawlerId (the connectionId when the crawler sent no
 * {@code hello}). No reply frames. An entry is dropped when its connection closes.
 */
public final class HeartbeatHandler implements MessageHandler {
  /** Name of the node-local shared map. */
  public static final String MAP_NAME = "hub.router.crawlers";

  private final LocalMap<String, CrawlerHeartbeat> crawlers;

  public HeartbeatHandler(Vertx vertx) {
    this.crawlers = vertx.sharedData().getLocalMap(MAP_NAME);
  }

  @Override
  public Future<HandlerResult> handle(RoutedMessage ctx) {
    String key = ctx.crawlerId() != null ? ctx.crawlerId() : ctx.connectionId();
    JsonObject d = ctx.data();
    if (key != null && d != null) {
      // memoryUsage is kept by reference: the router owns this envelope (the bus delivered a
      // copy) and nothing mutates it after the handler; CrawlerHeartbeat.toJson copies it out.
      Object memory = d.getValue("memoryUsage");
      crawlers.put(key, new CrawlerHeartbeat(key, ctx.connectionId(), ctx.nodeId(), ctx.transport(),
          d.getValue("systemStatus") instanceof String s ? s : null,
          number(d, "activeJobs"), number(d, "totalProcessed"), memory, number(d, "uptime"),
          System.currentTimeMillis()));
    }
    return HandlerResult.acceptedFuture();
  }

  private static Number number(JsonObject d, String key) {
    return d.getValue(key) instanceof Number n ? n : null;
  }

  /** Drops the crawler's entry if it still belongs to the closed connection (not to a newer one). */
  public void connectionClosed(String connectionId, String crawlerId) {
    if (connectionId == null) {
      return;
    }
    String key = crawlerId != null ? crawlerId : connectionId;
    crawlers.computeIfPresent(key, (k, v) -> connectionId.equals(v.connectionId()) ? null : v);
  }

  /** The latest heartbeat of one crawler, or null. */
  public CrawlerHeartbeat get(String crawlerId) {
    return crawlers.get(crawlerId);
  }

  /** {@code {<crawlerId>: CrawlerHeartbeat json, ...}} for every crawler of this node. */
  public JsonObject snapshot() {
    JsonObject all = new JsonObject();
    crawlers.forEach((k, v) -> all.put(k, v.toJson()));
    return all;
  }
}
