package org.crawlerhub.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses one JSON text into the tree Vert.x's {@code Json.decodeValue} builds (a {@link JsonObject}
 * or {@link JsonArray} over maps and {@code ArrayList}s, numbers as Integer, Long, BigInteger or
 * Double, last duplicate key wins in the first one's place, trailing content rejected), straight
 * from Jackson's streaming parser over the line's bytes: no databind deserializer, no InputStream
 * bootstrap. Objects of up to {@link CompactMap#MAX_PARSED} members are {@link CompactMap}s, larger
 * ones {@code LinkedHashMap}s; both iterate in the order of the text.
 */
public final class JsonTree {
  /**
   * Fractions (a heartbeat's {@code uptime}, {@code processingRate}) through Jackson's
   * FastDoubleParser: correctly rounded like {@code Double.parseDouble}, without its per-number
   * garbage (a tenth of what 10,000 idle crawlers made the hub allocate).
   */
  private static final JsonFactory FACTORY = JsonFactory.builder()
      .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
      .build();

  /** Members of the objects being parsed on this thread, innermost last (name, value, name, ...). */
  private static final ThreadLocal<Members> MEMBERS = ThreadLocal.withInitial(Members::new);

  private JsonTree() {
  }

  /** The tree of one JSON text; {@link DecodeException} for anything that is not exactly one JSON value. */
  public static Object parse(Buffer line) {
    return parse(line, false);
  }

  /**
   * {@link #parse(Buffer)}, and with {@code dropNullMembers} an object member whose value is
   * {@code null} is left out (the tree the protocol's "null means absent" rule makes, SPEC §1.2,
   * without a second pass); {@code null} array elements are kept.
   */
  public static Object parse(Buffer line, boolean dropNullMembers) {
    ByteBuf buf = ((BufferInternal) line).getByteBuf();
    byte[] bytes;
    int off;
    int len = buf.readableBytes();
    if (buf.hasArray()) {
      bytes = buf.array();
      off = buf.arrayOffset() + buf.readerIndex();
    } else {
      bytes = new byte[len];
      buf.getBytes(buf.readerIndex(), bytes);
      off = 0;
    }
    Members members = MEMBERS.get();
    members.reset(); // after a parse that failed half-way
    try (JsonParser p = FACTORY.createParser(bytes, off, len)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        throw new DecodeException("Failed to decode: no content");
      }
      Object value = value(p, first, dropNullMembers, members);
      if (p.nextToken() != null) {
        throw new DecodeException("Unexpected trailing token");
      }
      return value instanceof Map<?, ?> m ? new JsonObject(cast(m)) : value instanceof List<?> l ? new JsonArray(l) : value;
    } catch (IOException e) {
      throw new DecodeException("Failed to decode:" + e.getMessage(), e);
    }
  }

  private static Object value(JsonParser p, JsonToken t, boolean dropNulls, Members members) throws IOException {
    switch (t) {
      case START_OBJECT:
        return object(p, dropNulls, members);
      case START_ARRAY: {
        List<Object> l = new ArrayList<>();
        JsonToken e;
        while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
          l.add(value(p, e, dropNulls, members));
        }
        return l;
      }
      case VALUE_STRING:
        return p.getText();
      case VALUE_NUMBER_INT:
        return p.getNumberValue(); // Integer, Long or BigInteger, as databind's untyped deserializer
      case VALUE_NUMBER_FLOAT:
        return p.getDoubleValue();
      case VALUE_TRUE:
        return Boolean.TRUE;
      case VALUE_FALSE:
        return Boolean.FALSE;
      case VALUE_NULL:
        return null;
      default:
        throw new DecodeException("Failed to decode: unexpected token " + t);
    }
  }

  /**
   * One object's members, gathered on the thread's stack of members and then copied into an
   * exactly sized {@link CompactMap}; past {@link CompactMap#MAX_PARSED} members into a linked map
   * (a duplicate check per member is a scan, and a line may hold an object of thousands).
   */
  private static Map<String, Object> object(JsonParser p, boolean dropNulls, Members members) throws IOException {
    int base = members.top;
    Map<String, Object> large = null;
    long seen = 0; // CompactMap's bits of the names so far: most members need no duplicate scan
    String name;
    while ((name = p.nextFieldName()) != null) {
      Object v = value(p, p.nextToken(), dropNulls, members);
      boolean keep = v != null || !dropNulls; // a later null still removes an earlier duplicate
      if (large != null) {
        if (keep) {
          large.put(name, v);
        } else {
          large.remove(name);
        }
        continue;
      }
      long bit = CompactMap.bit(name);
      int at = (seen & bit) == 0 ? -1 : members.find(base, name);
      if (at >= 0) {
        if (keep) {
          members.slots[at + 1] = v;
        } else {
          members.removeAt(at);
        }
      } else if (keep) {
        if (members.top - base == 2 * CompactMap.MAX_PARSED) {
          large = members.popLinked(base);
          large.put(name, v);
        } else {
          members.push(name, v);
          seen |= bit;
        }
      }
    }
    return large != null ? large : members.popCompact(base, seen);
  }

  /** A growable stack of (name, value) slots, one per thread; objects nest on it. */
  private static final class Members {
    Object[] slots = new Object[64];
    int top;

    void reset() {
      if (top != 0) {
        Arrays.fill(slots, 0, top, null);
        top = 0;
      }
    }

    int find(int base, String name) {
      for (int i = base; i < top; i += 2) {
        Object k = slots[i];
        if (k == name || name.equals(k)) {
          return i;
        }
      }
      return -1;
    }

    void push(String name, Object value) {
      if (top + 2 > slots.length) {
        slots = Arrays.copyOf(slots, slots.length * 2);
      }
      slots[top++] = name;
      slots[top++] = value;
    }

    void removeAt(int i) {
      System.arraycopy(slots, i + 2, slots, i, top - i - 2);
      slots[--top] = null;
      slots[--top] = null;
    }

    CompactMap popCompact(int base, long names) {
      if (top == base) {
        return new CompactMap();
      }
      Object[] own = Arrays.copyOfRange(slots, base, top);
      int size = (top - base) >> 1;
      Arrays.fill(slots, base, top, null); // no line's strings kept alive by the scratch stack
      top = base;
      return new CompactMap(own, size, names);
    }

    Map<String, Object> popLinked(int base) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (int i = base; i < top; i += 2) {
        m.put((String) slots[i], slots[i + 1]);
      }
      Arrays.fill(slots, base, top, null);
      top = base;
      return m;
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }
}
