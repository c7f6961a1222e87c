package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.crawlerhub.protocol.Frames;
import org.crawlerhub.protocol.MessageType;

/**
 * Lenient typed reads over the raw maps of a (validated) message, and envelope writing. Absent or
 * null members read as null (or the given default); records never throw on a validated message.
 */
final class Fields {
  private Fields() {}

  /** The {@code data} object of an envelope, or the object itself when it is already data. */
  static Map<String, Object> data(JsonObject envelopeOrData) {
    Map<String, Object> m = envelopeOrData.getMap();
    if (m.get("type") instanceof String) {
      Map<String, Object> d = map(m, "data");
      if (d != null) {
        return d;
      }
    }
    return m;
  }

  /** The envelope's jobId ({@code job_id} alias accepted); null for a bare data object. */
  static String jobId(JsonObject envelopeOrData) {
    Map<String, Object> m = envelopeOrData.getMap();
    if (!(m.get("type") instanceof String) || map(m, "data") == null) {
      return null;
    }
    Object v = m.get("jobId");
    return v instanceof String s ? s : m.get("job_id") instanceof String s ? s : null;
  }

  static String string(Map<String, Object> d, String key) {
    return d.get(key) instanceof String s ? s : null;
  }

  /** An entity id that may be a string or a number (GitLab ids), as text: 9970, not 9970.0. */
  static String id(Map<String, Object> d, String key) {
    return idText(d.get(key));
  }

  static String idText(Object v) {
    if (v instanceof String s) {
      return s;
    }
    if (v instanceof Double || v instanceof Float) {
      double x = ((Number) v).doubleValue();
      return x == Math.rint(x) && Math.abs(x) < 9.0e15 ? Long.toString((long) x) : Double.toString(x);
    }
    return v instanceof Number n ? n.toString() : null;
  }

  static Double dbl(Map<String, Object> d, String key) {
    return d.get(key) instanceof Number n ? n.doubleValue() : null;
  }

  static Long lng(Map<String, Object> d, String key) {
    return d.get(key) instanceof Number n ? n.longValue() : null;
  }

  static long lng(Map<String, Object> d, String key, long dflt) {
    return d.get(key) instanceof Number n ? n.longValue() : dflt;
  }

  static Boolean bool(Map<String, Object> d, String key) {
    return d.get(key) instanceof Boolean b ? b : null;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Map<String, Object> d, String key) {
    Object v = d.get(key);
    if (v instanceof JsonObject jo) {
      return jo.getMap();
    }
    return v instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
  }

  @SuppressWarnings("unchecked")
  static List<Object> list(Map<String, Object> d, String key) {
    Object v = d.get(key);
    if (v instanceof JsonArray ja) {
      return ja.getList();
    }
    return v instanceof List<?> l ? (List<Object>) l : null;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> asMap(Object v) {
    if (v instanceof JsonObject jo) {
      return jo.getMap();
    }
    return v instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
  }

  /** A map of string to count; null when absent. Non-numbers are skipped. */
  static Map<String, Long> counts(Map<String, Object> d, String key) {
    Map<String, Object> m = map(d, key);
    if (m == null) {
      return null;
    }
    Map<String, Long> out = new LinkedHashMap<>();
    m.forEach((k, v) -> {
      if (v instanceof Number n) {
        out.put(k, n.longValue());
      }
    });
    return Collections.unmodifiableMap(out);
  }

  /** An array of strings; null when absent. Non-strings are skipped. */
  static List<String> strings(Map<String, Object> d, String key) {
    List<Object> l = list(d, key);
    if (l == null) {
      return null;
    }
    List<String> out = new ArrayList<>(l.size());
    for (Object o : l) {
      if (o instanceof String s) {
        out.add(s);
      }
    }
    return List.copyOf(out);
  }

  /** A deep copy of the members not in {@code known} (unknown fields are kept, SPEC §1.2). */
  static JsonObject extras(Map<String, Object> d, Set<String> known) {
    JsonObject out = new JsonObject();
    for (Map.Entry<String, Object> e : d.entrySet()) {
      if (!known.contains(e.getKey()) && e.getValue() != null) {
        out.put(e.getKey(), e.getValue());
      }
    }
    return out.copy();
  }

  /** A deep copy of any JSON value (objects and arrays become JsonObject/JsonArray). */
  @SuppressWarnings("unchecked")
  static Object copyValue(Object v) {
    if (v instanceof JsonObject jo) {
      return jo.copy();
    }
    if (v instanceof Map<?, ?> m) {
      return new JsonObject((Map<String, Object>) m).copy();
    }
    if (v instanceof JsonArray ja) {
      return ja.copy();
    }
    if (v instanceof List<?> l) {
      return new JsonArray((List<Object>) l).copy();
    }
    return v;
  }

  static JsonObject copyOrEmpty(JsonObject o) {
    return o == null ? new JsonObject() : o.copy();
  }

  /** Starts a data object with the extras, so declared fields win over same-named extras. */
  static JsonObject dataWith(JsonObject extras) {
    return extras == null ? new JsonObject() : extras.copy();
  }

  static JsonObject putIf(JsonObject o, String key, Object value) {
    if (value != null) {
      o.put(key, value);
    }
    return o;
  }

  static JsonObject countsJson(Map<String, Long> counts) {
    return counts == null ? null : new JsonObject(new LinkedHashMap<>(counts));
  }

  static JsonObject envelope(MessageType type, String jobId, JsonObject data) {
    JsonObject f = new JsonObject().put("type", type.wire()).put("timestamp", Frames.now());
    if (jobId != null) {
      f.put("jobId", jobId);
    }
    return f.put("data", data);
  }

  /** Shown in place of a secret in toString(). */
  static String mask(String secret) {
    return secret == null ? "null" : secret.isEmpty() ? "\"\"" : "***";
  }
}
