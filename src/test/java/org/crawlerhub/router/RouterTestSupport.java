package org.crawlerhub.router;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.bus.Addresses.Headers;
import org.crawlerhub.config.HubConfig;

/** Helpers for router tests on a real Vert.x event bus. */
final class RouterTestSupport {
  static final String NODE = "node-test";
  static final String TS = "2025-07-30T10:15:01.180Z";

  private RouterTestSupport() {}

  static HubConfig config(JsonObject overrides) {
    return HubConfig.fromJson(new JsonObject().put("nodeId", NODE).mergeIn(overrides, true));
  }

  static HubConfig config() {
    return config(new JsonObject());
  }

  static <T> T await(Future<T> f) {
    try {
      return f.await(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static JsonObject envelope(String type, String jobId, JsonObject data) {
    JsonObject e = new JsonObject().put("type", type).put("timestamp", TS).put("data", data);
    if (jobId != null) {
      e.put("jobId", jobId);
    }
    return e;
  }

  static JsonObject heartbeat(String status, int activeJobs, long totalProcessed) {
    return envelope("heartbeat", null, new JsonObject().put("activeJobs", activeJobs)
        .put("totalProcessed", totalProcessed).put("systemStatus", status)
        .put("memoryUsage", new JsonObject().put("rss", 1234)).put("uptime", 99));
  }

  static JsonObject jobProgress(String jobId, long processed) {
    return envelope("job_progress", jobId, new JsonObject().put("stage", "fetching")
        .put("entityType", "issue").put("processed", processed).put("total", 100_000));
  }

  static JsonObject jobRequest(int maxJobs) {
    return envelope("job_request", null, new JsonObject().put("maxJobs", maxJobs));
  }

  static DeliveryOptions headers(String connectionId, String crawlerId) {
    return new DeliveryOptions().addHeader(Headers.CONNECTION_ID, connectionId)
        .addHeader(Headers.CRAWLER_ID, crawlerId).addHeader(Headers.NODE_ID, NODE)
        .addHeader(Headers.TRANSPORT, "unix");
  }

  static JsonObject crawlerEvent(String event, String connectionId, String crawlerId) {
    return new JsonObject().put("event", event).put("connectionId", connectionId)
        .put("crawlerId", crawlerId).put("nodeId", NODE).put("transport", "unix").put("at", TS);
  }

  /**
   * Sends everything from one event-loop context, as the gateway does, so that sends and
   * publishes issued one after the other reach the router in that order.
   */
  static final class Gateway {
    private final Vertx vertx;
    private final Context context;

    Gateway(Vertx vertx) {
      this.vertx = vertx;
      this.context = vertx.getOrCreateContext();
    }

    <T> Future<T> on(Supplier<Future<T>> action) {
      Promise<T> p = Promise.promise();
      context.runOnContext(v -> action.get().onComplete(p));
      return p.future();
    }

    /** Request/reply to router partition 0 as connection/crawler; the reply's frames. */
    Future<JsonArray> send(String connectionId, String crawlerId, JsonObject envelope) {
      return sendTo(Addresses.inboundPartition(0), connectionId, crawlerId, envelope);
    }

    Future<JsonArray> sendTo(String address, String connectionId, String crawlerId, Object body) {
      return on(() -> vertx.eventBus().<JsonObject>request(address, body, headers(connectionId, crawlerId))
          .map(Message::body).map(b -> b.getJsonArray("frames")));
    }

    Future<Void> publishEvent(JsonObject event) {
      return on(() -> {
        vertx.eventBus().publish(Addresses.CRAWLER_EVENTS, event);
        return Future.succeededFuture();
      });
    }
  }
}
