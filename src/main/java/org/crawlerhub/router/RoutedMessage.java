package org.crawlerhub.router;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import org.crawlerhub.bus.Addresses.Headers;
import org.crawlerhub.protocol.RawFields;

/**
 * One inbound crawler message as the router sees it: the normalised envelope plus the transport
 * headers the gateway attached. Immutable; a middleware that rewrites the message returns a new
 * envelope and the router derives a new {@code RoutedMessage} with {@link #withEnvelope}.
 *
 * @param type the envelope's {@code type} when it is a string, else {@code null}
 * @param receivedAt {@link System#nanoTime()} when the router received the message
 * @param busHeaders the received message's own bus headers when they already carry exactly the
 *     four values above (the gateway's case), reused read-only for every downstream send and
 *     publish instead of building a new map each time (a measured hot spot); null: built on demand
 */
public record RoutedMessage(String type, JsonObject envelope, String connectionId, String crawlerId,
    String nodeId, String transport, long receivedAt, MultiMap busHeaders) {

  public RoutedMessage(String type, JsonObject envelope, String connectionId, String crawlerId,
      String nodeId, String transport, long receivedAt) {
    this(type, envelope, connectionId, crawlerId, nodeId, transport, receivedAt, null);
  }

  /** The {@code type} member when it is a string, else {@code null}. */
  public static String typeOf(JsonObject envelope) {
    return envelope != null ? RawFields.string(envelope, "type") : null;
  }

  /** The envelope's {@code jobId} when it is a string, else {@code null}. */
  public String jobId() {
    return RawFields.string(envelope, "jobId");
  }

  /** The envelope's {@code data} object, or {@code null} when absent or not an object. */
  public JsonObject data() {
    return RawFields.object(envelope, "data");
  }

  /** The same message with another envelope (and the type that envelope declares). */
  public RoutedMessage withEnvelope(JsonObject replacement) {
    return new RoutedMessage(typeOf(replacement), replacement, connectionId, crawlerId, nodeId,
        transport, receivedAt, busHeaders);
  }

  /**
   * Bus headers carrying this message's connectionId/crawlerId/nodeId/transport: the received
   * ones when they are exactly that (treat as read-only), else a fresh map.
   */
  public MultiMap headers() {
    if (busHeaders != null) {
      return busHeaders;
    }
    MultiMap h = MultiMap.caseInsensitiveMultiMap();
    if (connectionId != null) {
      h.add(Headers.CONNECTION_ID, connectionId);
    }
    if (crawlerId != null) {
      h.add(Headers.CRAWLER_ID, crawlerId);
    }
    if (nodeId != null) {
      h.add(Headers.NODE_ID, nodeId);
    }
    if (transport != null) {
      h.add(Headers.TRANSPORT, transport);
    }
    return h;
  }
}
