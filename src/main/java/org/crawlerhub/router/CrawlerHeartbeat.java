package org.crawlerhub.router;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Shareable;
import java.time.Instant;

/**
 * The latest heartbeat of one crawler. Immutable, so it is shared between router instances
 * through a Vert.x local map without copying.
 *
 * @param memoryUsage whatever the crawler reported (number, string or JSON; never mutated, copied
 *     out by {@link #toJson()})
 * @param lastHeartbeat epoch milliseconds when the hub received the heartbeat
 */
public record CrawlerHeartbeat(String crawlerId, String connectionId, String nodeId, String transport,
    String systemStatus, Number activeJobs, Number totalProcessed, Object memoryUsage, Number uptime,
    long lastHeartbeat) implements Shareable {

  public JsonObject toJson() {
    JsonObject j = new JsonObject().put("crawlerId", crawlerId);
    putIfPresent(j, "connectionId", connectionId);
    putIfPresent(j, "nodeId", nodeId);
    putIfPresent(j, "transport", transport);
    putIfPresent(j, "systemStatus", systemStatus);
    putIfPresent(j, "activeJobs", activeJobs);
    putIfPresent(j, "totalProcessed", totalProcessed);
    putIfPresent(j, "memoryUsage", memoryUsage instanceof JsonObject o ? o.copy()
        : memoryUsage instanceof JsonArray a ? a.copy() : memoryUsage);
    putIfPresent(j, "uptime", uptime);
    return j.put("lastHeartbeat", Instant.ofEpochMilli(lastHeartbeat).toString());
  }

  private static void putIfPresent(JsonObject j, String k, Object v) {
    if (v != null) {
      j.put(k, v);
    }
  }
}
