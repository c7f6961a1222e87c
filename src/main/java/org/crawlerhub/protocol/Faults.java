package org.crawlerhub.protocol;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Field checks over the raw maps and lists a decoded message is made of, collecting every fault as
 * {@code path: problem}. On the happy path this collector is the only allocation: the current
 * location is kept as (base, index, child) and a path string is only built for a fault.
 *
 * <p>{@code null} is treated as absent everywhere (bus-injected envelopes may still hold nulls).
 * Not thread-safe; one instance per validation.
 */
final class Faults {
  /** Value kinds of the wire schema. */
  enum Kind {
    STRING("string"), NUMBER("number"), BOOLEAN("boolean"), OBJECT("object"), ARRAY("array"),
    /** Entity ids: GitLab ids are numbers, full paths are strings. */
    ID("string or number");

    final String required;
    final String mustBe;

    Kind(String label) {
      this.required = "required " + label;
      this.mustBe = "must be " + (label.startsWith("a") || label.startsWith("o") ? "an " : "a ") + label;
    }

    boolean matches(Object v) {
      return switch (this) {
        case STRING -> v instanceof String;
        case NUMBER -> isFiniteNumber(v);
        case BOOLEAN -> v instanceof Boolean;
        case OBJECT -> v instanceof JsonObject || v instanceof Map<?, ?>;
        case ARRAY -> v instanceof JsonArray || v instanceof List<?>;
        case ID -> v instanceof String || isFiniteNumber(v);
      };
    }
  }

  /** A closed set of allowed string values, with its text for messages. */
  static final class Choice {
    private final Set<String> values;
    final String mustBe;
    final String required;

    Choice(String... values) {
      this.values = Set.of(values);
      this.mustBe = "must be one of " + String.join(", ", values);
      this.required = "required, one of " + String.join(", ", values);
    }

    boolean contains(Object v) {
      return v instanceof String s && values.contains(s);
    }
  }

  private static final int MAX_ECHO = 40;
  /**
   * Faults listed in one message. A 10,000-item discovery where every item is wrong would otherwise
   * produce a megabyte error frame; the rest are counted instead.
   */
  static final int MAX_LISTED = 100;

  private StringBuilder out;
  private int count;
  private String base;
  private int index = -1;
  private String child;

  Faults(String base) {
    this.base = base;
  }

  // ---- location -------------------------------------------------------------------------------

  /** Fields checked next live in the object at {@code base}. */
  Faults at(String base) {
    return at(base, -1, null);
  }

  /** Fields checked next live in the object at {@code base[index].child} (index < 0: none). */
  Faults at(String base, int index, String child) {
    this.base = base;
    this.index = index;
    this.child = child;
    return this;
  }

  // ---- results --------------------------------------------------------------------------------

  boolean any() {
    return count > 0;
  }

  /** Every fault as {@code path: problem}, joined by "; " (beyond {@link #MAX_LISTED}, a count). */
  String message() {
    if (out == null) {
      return "";
    }
    return count <= MAX_LISTED ? out.toString() : out + "; … and " + (count - MAX_LISTED) + " more faults";
  }

  // ---- recording ------------------------------------------------------------------------------

  /** Records a fault for a field of the current object ({@code name} null: the object itself). */
  void add(String name, String problem) {
    StringBuilder sb = begin();
    if (sb == null) {
      return;
    }
    appendLocation(sb);
    if (name != null) {
      sb.append('.').append(name);
    }
    sb.append(": ").append(problem);
  }

  /** Records a fault for an element of an array field of the current object. */
  void addElement(String name, int element, String problem) {
    StringBuilder sb = begin();
    if (sb == null) {
      return;
    }
    appendLocation(sb);
    sb.append('.').append(name).append('[').append(element).append("]: ").append(problem);
  }

  /** Records a fault for the value under {@code key} of a map field of the current object. */
  void addEntry(String name, String key, String problem) {
    StringBuilder sb = begin();
    if (sb == null) {
      return;
    }
    appendLocation(sb);
    sb.append('.').append(name).append('.').append(key).append(": ").append(problem);
  }

  /** Records a fault at a top-level path (envelope fields). */
  void addRoot(String path, String problem) {
    StringBuilder sb = begin();
    if (sb != null) {
      sb.append(path).append(": ").append(problem);
    }
  }

  /** The builder to append one more fault to, or null when the fault is only counted. */
  private StringBuilder begin() {
    if (++count > MAX_LISTED) {
      return null;
    }
    if (out == null) {
      out = new StringBuilder(96);
    } else {
      out.append("; ");
    }
    return out;
  }

  private void appendLocation(StringBuilder sb) {
    sb.append(base);
    if (index >= 0) {
      sb.append('[').append(index).append(']');
    }
    if (child != null) {
      sb.append('.').append(child);
    }
  }

  // ---- checks ---------------------------------------------------------------------------------

  /** A required field of the given kind; returns its value when present and well typed. */
  Object required(Map<String, Object> obj, String name, Kind kind) {
    Object v = obj.get(name);
    if (v == null) {
      add(name, kind.required);
      return null;
    }
    return typed(name, v, kind);
  }

  /** An optional field of the given kind; returns its value when present and well typed. */
  Object optional(Map<String, Object> obj, String name, Kind kind) {
    Object v = obj.get(name);
    return v == null ? null : typed(name, v, kind);
  }

  private Object typed(String name, Object v, Kind kind) {
    if (kind.matches(v)) {
      return v;
    }
    add(name, mustBe(kind, v));
    return null;
  }

  /** A required non-empty string (ids that become bus addresses or keys). */
  void requiredNonEmpty(Map<String, Object> obj, String name) {
    Object v = required(obj, name, Kind.STRING);
    if (v instanceof String s && s.isEmpty()) {
      add(name, "must be a non-empty string");
    }
  }

  void required(Map<String, Object> obj, String name, Choice choice) {
    Object v = obj.get(name);
    if (v == null) {
      add(name, choice.required);
    } else if (!choice.contains(v)) {
      add(name, choice.mustBe + ", got " + echo(v));
    }
  }

  void optional(Map<String, Object> obj, String name, Choice choice) {
    Object v = obj.get(name);
    if (v != null && !choice.contains(v)) {
      add(name, choice.mustBe + ", got " + echo(v));
    }
  }

  /** An object field; returns its map when present and an object, else null (fault recorded). */
  Map<String, Object> object(Map<String, Object> obj, String name, boolean required) {
    Object v = required ? required(obj, name, Kind.OBJECT) : optional(obj, name, Kind.OBJECT);
    return asMap(v);
  }

  /** An array field; returns its list when present and an array, else null (fault recorded). */
  List<Object> array(Map<String, Object> obj, String name, boolean required) {
    Object v = required ? required(obj, name, Kind.ARRAY) : optional(obj, name, Kind.ARRAY);
    return asList(v);
  }

  /** An array of strings; every bad element is reported with its index. */
  void stringArray(Map<String, Object> obj, String name, boolean required) {
    List<Object> list = array(obj, name, required);
    if (list != null) {
      for (int i = 0, n = list.size(); i < n; i++) {
        Object e = list.get(i);
        if (!(e instanceof String)) {
          addElement(name, i, e == null ? "must be a string, got null" : mustBe(Kind.STRING, e));
        }
      }
    }
  }

  /** A map of string to number (counts); every bad value is reported with its key. */
  void numberMap(Map<String, Object> obj, String name, boolean required) {
    Map<String, Object> map = object(obj, name, required);
    if (map != null) {
      for (Map.Entry<String, Object> e : map.entrySet()) {
        Object v = e.getValue();
        if (v != null && !isFiniteNumber(v)) {
          addEntry(name, e.getKey(), mustBe(Kind.NUMBER, v));
        }
      }
    }
  }

  /** An optional integral number >= 0. */
  void optionalNonNegativeInt(Map<String, Object> obj, String name) {
    Object v = obj.get(name);
    if (v != null && !isNonNegativeInt(v)) {
      add(name, "must be an integer >= 0, got " + echo(v));
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  static boolean isFiniteNumber(Object v) {
    if (v instanceof Double d) {
      return Double.isFinite(d);
    }
    if (v instanceof Float f) {
      return Float.isFinite(f);
    }
    return v instanceof Number;
  }

  static boolean isNonNegativeInt(Object v) {
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      return ((Number) v).longValue() >= 0;
    }
    if (v instanceof java.math.BigInteger b) {
      return b.signum() >= 0;
    }
    if (v instanceof Double || v instanceof Float || v instanceof java.math.BigDecimal) {
      double d = ((Number) v).doubleValue();
      return Double.isFinite(d) && d >= 0 && d == Math.rint(d);
    }
    return false;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> asMap(Object v) {
    if (v instanceof JsonObject jo) {
      return jo.getMap();
    }
    if (v instanceof Map<?, ?> m) {
      return (Map<String, Object>) m;
    }
    return null;
  }

  @SuppressWarnings("unchecked")
  static List<Object> asList(Object v) {
    if (v instanceof JsonArray ja) {
      return ja.getList();
    }
    if (v instanceof List<?> l) {
      return (List<Object>) l;
    }
    return null;
  }

  private static String mustBe(Kind kind, Object v) {
    if (kind == Kind.NUMBER && v instanceof Number) {
      return "must be a finite number";
    }
    return kind.mustBe + ", got " + ProtocolCodec.describe(v);
  }

  /** A short description of a wrong value: strings quoted and cut, other values by kind. */
  static String echo(Object v) {
    if (v instanceof String s) {
      return '"' + (s.length() > MAX_ECHO ? s.substring(0, MAX_ECHO) + "…" : s) + '"';
    }
    if (v instanceof Number || v instanceof Boolean) {
      String s = String.valueOf(v);
      return s.length() > MAX_ECHO ? s.substring(0, MAX_ECHO) + "…" : s;
    }
    return ProtocolCodec.describe(v);
  }
}
