package org.crawlerhub.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Hands an immutable-by-convention object to local consumers as is, for node-local addresses
 * only: encoding it for another node is refused. Registered as the default codec of its class.
 */
public final class LocalOnlyCodec<T> implements MessageCodec<T, T> {
  private final String name;

  LocalOnlyCodec(Class<T> type) {
    this.name = "hub.local." + type.getName();
  }

  /** Registers the codec for {@code type} once per event bus; a concurrent second registration is fine. */
  public static <T> void register(EventBus bus, Class<T> type) {
    try {
      bus.registerDefaultCodec(type, new LocalOnlyCodec<>(type));
    } catch (IllegalStateException alreadyRegistered) {
      // another verticle of this Vert.x registered it first
    }
  }

  @Override
  public void encodeToWire(Buffer buffer, T body) {
    throw new IllegalStateException(name + " is node-local: send it with localOnly");
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    throw new IllegalStateException(name + " is node-local");
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
