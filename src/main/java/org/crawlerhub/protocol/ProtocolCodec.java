package org.crawlerhub.protocol;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * NDJSON framing of the wire protocol (SPEC §1.1–1.2). {@link #decode} runs the first stages of
 * SPEC §1.5 (size, UTF-8/JSON, object, known inbound type) and normalises the envelope: the
 * {@code job_id} alias becomes {@code jobId}, {@code null} members are removed (absent), unknown
 * fields are kept. Schema checks are {@link MessageValidator}'s.
 */
public final class ProtocolCodec {
  private static final ThreadLocal<CharsetDecoder> UTF8 = ThreadLocal.withInitial(() ->
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT));

  private ProtocolCodec() {}

  /** True for a line that is empty or only whitespace/{@code \r}: ignored, not an error. */
  public static boolean isBlank(Buffer line) {
    for (int i = 0; i < line.length(); i++) {
      byte b = line.getByte(i);
      if (b != ' ' && b != '\t' && b != '\r') {
        return false;
      }
    }
    return true;
  }

  private static final byte[] TYPE_FIRST = "{\"type\":\"".getBytes(StandardCharsets.US_ASCII);
  /** Longest wire type name (token_refresh_response is 22), with room to spare. */
  private static final int MAX_TYPE_LENGTH = 32;

  /**
   * The message type of a line that starts exactly with {@code {"type":"<name>"} (how crawlers write
   * their messages), read without parsing the line; null for anything else (another first member,
   * whitespace, an escape in the name, an unknown name), which only means "decode it to know".
   * Exact when not null: a line starting that way is an object whose {@code type} member is that
   * name, provided the rest of it is valid JSON, which the full decode checks later.
   */
  public static MessageType peekType(Buffer line) {
    int len = line.length();
    int start = TYPE_FIRST.length;
    if (len < start + 2) {
      return null;
    }
    for (int i = 0; i < start; i++) {
      if (line.getByte(i) != TYPE_FIRST[i]) {
        return null;
      }
    }
    int end = start;
    int limit = Math.min(len, start + MAX_TYPE_LENGTH);
    while (end < limit) {
      byte b = line.getByte(end);
      if (b == '"') {
        return MessageType.fromWire(line, start, end);
      }
      if (b == '\\' || b < 0x20) { // an escape, a control character or a non-ASCII byte
        return null;
      }
      end++;
    }
    return null;
  }

  /**
   * Decodes one line (without its {@code \n}) into a normalised envelope.
   *
   * @throws ProtocolException MESSAGE_TOO_LARGE, INVALID_JSON, NOT_AN_OBJECT, VALIDATION_FAILED
   *     (no type) or UNKNOWN_TYPE
   */
  public static JsonObject decode(Buffer line, int maxMessageSize) {
    int len = line.length();
    if (len > maxMessageSize) {
      throw new ProtocolException(ErrorCode.MESSAGE_TOO_LARGE,
          "message of " + len + " bytes exceeds maxMessageSize " + maxMessageSize);
    }
    if (len > 0 && line.getByte(len - 1) == '\r') {
      line = line.slice(0, len - 1);
    }
    Object parsed;
    try {
      // Jackson parses the bytes directly and rejects malformed UTF-8 (bad start/continuation
      // bytes, overlong forms, surrogates, > U+10FFFF), so the happy path needs no extra pass or copy.
      parsed = JsonTree.parse(line, true); // null members dropped while parsing: no stripNulls pass
    } catch (DecodeException e) {
      if (!isValidUtf8(line)) {
        throw new ProtocolException(ErrorCode.INVALID_JSON, "message is not valid UTF-8");
      }
      throw new ProtocolException(ErrorCode.INVALID_JSON, "message is not valid JSON: " + shortReason(e));
    }
    if (!(parsed instanceof JsonObject)) {
      throw new ProtocolException(ErrorCode.NOT_AN_OBJECT,
          "message must be a JSON object, got " + describe(parsed));
    }
    return normaliseParsed((JsonObject) parsed);
  }

  /** Strict UTF-8 check, only used to explain a rejected line (the parser already enforced it). */
  static boolean isValidUtf8(Buffer line) {
    try {
      UTF8.get().decode(ByteBuffer.wrap(line.getBytes()));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  /** Applies the envelope rules to an already parsed object (used for bus-injected messages too). */
  public static JsonObject normaliseEnvelope(JsonObject msg) {
    stripNulls(msg);
    return normaliseParsed(msg);
  }

  /** The envelope rules but null removal, which the parser did already. */
  private static JsonObject normaliseParsed(JsonObject msg) {
    MessageType type = MessageValidator.inboundType(msg.getMap().get("type"));
    // the type's own constant in place of the equal string just parsed: every later lookup by type
    // (validator, handler, counters, addresses) then hashes nothing and compares by identity
    msg.getMap().put("type", type.wire());
    if (!msg.containsKey("jobId") && msg.containsKey("job_id")) {
      msg.put("jobId", msg.remove("job_id"));
    }
    return msg;
  }

  /** Encodes one outbound message as {@code JSON + "\n"}. */
  public static Buffer encode(JsonObject msg) {
    Buffer b = msg.toBuffer();
    return b.appendByte((byte) '\n');
  }

  /**
   * Removes {@code null} members recursively, also inside arrays of objects: null means absent
   * (SPEC §1.2). Works on the raw maps and lists the parser produces, without wrapping them.
   */
  static void stripNulls(JsonObject o) {
    stripNullsInMap(o.getMap());
  }

  private static void stripNullsInMap(Map<String, Object> map) {
    if (map instanceof HashMap<String, Object> hm) {
      // Parser output: walk without iterators (no allocation) and only remove when needed.
      if (hm.containsValue(null)) {
        hm.values().removeIf(Objects::isNull);
      }
      hm.forEach(ProtocolCodec::stripNullsInMember);
      return;
    }
    Iterator<Map.Entry<String, Object>> it = map.entrySet().iterator();
    while (it.hasNext()) {
      Object v = it.next().getValue();
      if (v == null) {
        it.remove();
      } else {
        stripNullsIn(v);
      }
    }
  }

  private static void stripNullsInMember(String key, Object value) {
    stripNullsIn(value);
  }

  @SuppressWarnings("unchecked")
  private static void stripNullsIn(Object v) {
    if (v == null || v instanceof String || v instanceof Number || v instanceof Boolean) {
      return;
    }
    if (v instanceof JsonObject jo) {
      stripNullsInMap(jo.getMap());
    } else if (v instanceof Map<?, ?> m) {
      stripNullsInMap((Map<String, Object>) m);
    } else if (v instanceof JsonArray ja) {
      stripNullsInList(ja.getList());
    } else if (v instanceof List<?> l) {
      stripNullsInList(l);
    }
  }

  /** Null array elements are kept (an element cannot be absent); objects inside are cleaned. */
  private static void stripNullsInList(List<?> list) {
    list.forEach(ProtocolCodec::stripNullsIn);
  }

  static String describe(Object v) {
    if (v == null) {
      return "null";
    }
    if (v instanceof JsonArray || v instanceof List<?>) {
      return "an array";
    }
    if (v instanceof String) {
      return "a string";
    }
    if (v instanceof Number) {
      return "a number";
    }
    if (v instanceof Boolean) {
      return "a boolean";
    }
    if (v instanceof JsonObject || v instanceof Map<?, ?>) {
      return "an object";
    }
    return v.getClass().getSimpleName();
  }

  /** Jackson's reason without its redacted-source noise, e.g. {@code ... at [line: 1, column: 6]}. */
  private static String shortReason(DecodeException e) {
    String m = String.valueOf(e.getMessage());
    if (m.startsWith("Failed to decode:")) {
      m = m.substring("Failed to decode:".length());
    }
    m = m.replace("[Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); ", "[")
        .replace("\n ", " ").replace('\n', ' ').trim();
    return m.length() > 200 ? m.substring(0, 200) : m;
  }

}
