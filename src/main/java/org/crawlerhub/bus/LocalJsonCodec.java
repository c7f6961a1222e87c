package org.crawlerhub.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;

/**
 * Hands a {@link JsonObject} to local consumers without the defensive deep copy of the built-in
 * codec (which copies once per consumer on every local send, publish and reply). Used on the hot
 * crawler-message path (gateway -> router -> jobs, the router's {@code hub.crawler.message.<type>}
 * publishes and the replies): the sender never touches a body after sending it, and receivers
 * treat bodies as read-only (a receiver that needs to change one copies it first). Bodies that
 * cross the cluster are encoded as length-prefixed JSON, exactly as the built-in codec does, so
 * remote consumers still get their own copy; every node registers the codec at start.
 */
public final class LocalJsonCodec extends IdentityCodec<JsonObject> {
  public static final String NAME = "hub.json-no-copy";

  public LocalJsonCodec() {
    super(NAME);
  }

  /** Options that select this codec. */
  public static DeliveryOptions options() {
    return new DeliveryOptions().setCodecName(NAME);
  }

  /** Registers the codec once per event bus. */
  public static void register(EventBus bus) {
    registerOnce(() -> bus.registerCodec(new LocalJsonCodec()));
  }

  @Override
  public void encodeToWire(Buffer buffer, JsonObject body) {
    writeJson(buffer, body);
  }

  @Override
  public JsonObject decodeFromWire(int pos, Buffer buffer) {
    return readJson(pos, buffer);
  }
}
