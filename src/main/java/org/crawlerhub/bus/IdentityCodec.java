package org.crawlerhub.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/**
 * Base of the hub's event-bus codecs: local consumers get the sent object itself (bodies on these
 * paths are immutable by convention), and what crosses the cluster is length-prefixed JSON.
 */
abstract class IdentityCodec<T> implements MessageCodec<T, T> {
  private final String name;

  IdentityCodec(String name) {
    this.name = name;
  }

  /** Registers a codec once per event bus; verticles starting concurrently may race, the loser is fine. */
  static void registerOnce(Runnable registration) {
    try {
      registration.run();
    } catch (IllegalStateException alreadyRegistered) {
      // another verticle of this Vert.x registered it first
    }
  }

  static void writeJson(Buffer buffer, JsonObject json) {
    Buffer encoded = json.toBuffer();
    buffer.appendInt(encoded.length());
    buffer.appendBuffer(encoded);
  }

  static JsonObject readJson(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return new JsonObject(buffer.slice(pos + 4, pos + 4 + length));
  }

  @Override
  public T transform(T body) {
    return body;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
