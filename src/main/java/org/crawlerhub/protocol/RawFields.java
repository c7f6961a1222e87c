package org.crawlerhub.protocol;

import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Field reads for the hot path that go to the {@link JsonObject}'s map directly.
 *
 * <p>{@link JsonObject#getValue} wraps every value it returns ({@code JsonUtil.wrapJsonValue}:
 * {@code instanceof Map}, {@code List}, {@code Instant}, {@code byte[]}, {@code Buffer},
 * {@code Enum}), and with every kind of value passing through that one call site the interface
 * checks take HotSpot's slow path: about 48 ns a read on this machine (Java 17) against about 3 ns
 * for the map lookup. A job_progress line is read a dozen times on its way, so that was worth a
 * whole decode. Nested objects decoded by {@link JsonTree} are {@link CompactMap}s (or, when large,
 * {@link LinkedHashMap}s); {@link #object} wraps them (tested as classes first, which is cheap) the
 * way {@code getJsonObject} would.
 */
public final class RawFields {
  private RawFields() {}

  /** The raw value of {@code key}: a Map for a nested object decoded from JSON, never wrapped. */
  public static Object get(JsonObject o, String key) {
    return o.getMap().get(key);
  }

  /** {@code key} as a string, or null when absent or not a string. */
  public static String string(JsonObject o, String key) {
    return o.getMap().get(key) instanceof String s ? s : null;
  }

  /** {@code key} as a JSON object (wrapping, not copying, a nested map), or null. */
  public static JsonObject object(JsonObject o, String key) {
    return object(o.getMap().get(key));
  }

  /** {@code v} as a JSON object (wrapping, not copying, a map), or null. */
  @SuppressWarnings("unchecked")
  public static JsonObject object(Object v) {
    if (v instanceof JsonObject j) {
      return j;
    }
    if (v instanceof CompactMap m) {
      return new JsonObject(m);
    }
    if (v instanceof LinkedHashMap<?, ?> m) {
      return new JsonObject((Map<String, Object>) m);
    }
    return v instanceof Map<?, ?> m ? new JsonObject((Map<String, Object>) m) : null;
  }
}
