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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses one JSON text into the tree Vert.x's {@code Json.decodeValue} builds (a {@link JsonObject}
 * or {@link JsonArray} over {@code LinkedHashMap}/{@code ArrayList}, numbers as Integer, Long,
 * BigInteger or Double, last duplicate key wins, trailing content rejected), straight from Jackson's
 * streaming parser over the line's bytes: no databind deserializer, no InputStream bootstrap.
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
    try (JsonParser p = FACTORY.createParser(bytes, off, len)) {
      JsonToken first = p.nextToken();
      if (first == null) {
        throw new DecodeException("Failed to decode: no content");
      }
      Object value = value(p, first, dropNullMembers);
      if (p.nextToken() != null) {
        throw new DecodeException("Unexpected trailing token");
      }
      return value instanceof Map<?, ?> m ? new JsonObject(cast(m)) : value instanceof List<?> l ? new JsonArray(l) : value;
    } catch (IOException e) {
      throw new DecodeException("Failed to decode:" + e.getMessage(), e);
    }
  }

  private static Object value(JsonParser p, JsonToken t, boolean dropNulls) throws IOException {
    switch (t) {
      case START_OBJECT: {
        Map<String, Object> m = new LinkedHashMap<>();
        String name;
        while ((name = p.nextFieldName()) != null) {
          Object v = value(p, p.nextToken(), dropNulls);
          if (v != null || !dropNulls) {
            m.put(name, v);
          } else {
            m.remove(name); // a later null still overrides an earlier duplicate, as in the two-pass form
          }
        }
        return m;
      }
      case START_ARRAY: {
        List<Object> l = new ArrayList<>();
        JsonToken e;
        while ((e = p.nextToken()) != JsonToken.END_ARRAY) {
          l.add(value(p, e, dropNulls));
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

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }
}
