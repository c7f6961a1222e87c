package org.crawlerhub.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;

/**
 * Hands an immutable-by-convention object to local consumers as is, for node-local addresses
 * only: encoding it for another node is refused. Registered as the default codec of its class.
 */
public final class LocalOnlyCodec<T> extends IdentityCodec<T> {

  LocalOnlyCodec(Class<T> type) {
    super("hub.local." + type.getName());
  }

  /** Registers the codec for {@code type} once per event bus. */
  public static <T> void register(EventBus bus, Class<T> type) {
    registerOnce(() -> bus.registerDefaultCodec(type, new LocalOnlyCodec<>(type)));
  }

  @Override
  public void encodeToWire(Buffer buffer, T body) {
    throw new IllegalStateException(name() + " is node-local: send it with localOnly");
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    throw new IllegalStateException(name() + " is node-local");
  }
}
