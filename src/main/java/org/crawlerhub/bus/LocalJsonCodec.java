package org.crawlerhub.gateway;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/**
 * Hands a {@link JsonObject} to a local consumer without the defensive deep copy of the built-in
 * codec. The gateway decodes a fresh object per line and never touches it after sending, so the
 * copy would only cost allocation on the hottest path. Wire encoding (never used with
 * {@code localOnly} sends, but required by the interface) is the usual length-prefixed JSON.
 */
final class LocalJsonCodec implements MessageCodec<JsonObject, JsonObject> {
  static final String NAME = "hub.gateway.json-local";

  /** Registers the codec once per event bus; concurrent gateway instances may race, the loser is fine. */
  static void register(EventBus bus) {
    try {
      bus.registerCodec(new LocalJsonCodec());
    } catch (IllegalStateException alreadyRegistered) {
      // another gateway instance of this Vert.x registered it first
    }
  }

  @Override
  public void encodeToWire(Buffer buffer, JsonObject body) {
    Buffer encoded = body.toBuffer();
    buffer.appendInt(encoded.length());
    buffer.appendBuffer(encoded);
  }

  @Override
  public JsonObject decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    pos += 4;
    return new JsonObject(buffer.slice(pos, pos + length));
  }

  @Override
  public JsonObject transform(JsonObject body) {
    return body;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
