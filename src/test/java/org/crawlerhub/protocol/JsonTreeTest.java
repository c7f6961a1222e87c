package org.crawlerhub.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@DisplayName("JsonTree: the tree Vert.x's Json.decodeValue builds, from Jackson's streaming parser")
class JsonTreeTest {

  private static Buffer heap(String s) {
    return Buffer.buffer(s);
  }

  /** As the gateway sees a line: a slice of a direct (off-heap) read buffer. */
  private static Buffer direct(String s) {
    byte[] b = ("xx" + s + "\n").getBytes(StandardCharsets.UTF_8);
    var buf = Unpooled.directBuffer(b.length).writeBytes(b);
    return BufferInternal.buffer(buf).slice(2, b.length - 1);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "{\"type\":\"job_progress\",\"jobId\":\"j1\",\"data\":{\"processed\":5,\"total\":10,\"rate\":1.5}}",
      "{\"a\":[1,2147483648,9223372036854775808,-0.5,1e3,true,false,null,\"x\",[],{}]}",
      "{\"dup\":1,\"dup\":2}",
      // fractions go through Jackson's fast double parser: the same doubles as Double.parseDouble
      "[0.1,2.2250738585072011e-308,4.9e-324,1.7976931348623157e308,9007199254740993.0,0.30000000000000004,"
          + "123456.789e-3,-1.0E+2,3.141592653589793238462643383279,1e400,1e-400,12.0]",
      "{\"unicode\":\"\\u00e9t\\u00e9 \u2603 \\ud83d\\ude00\",\"esc\":\"a\\\"b\\\\c\\n\"}",
      "[1,{\"nested\":{\"deeper\":[{\"x\":1}]}}]",
      "\"just a string\"",
      "42",
      "  {\"spaces\" : [ 1 , 2 ] }  "})
  @DisplayName("same value, same number types, for heap and direct buffers")
  void sameAsVertx(String json) {
    // GIVEN a JSON text; WHEN parsed both ways, from a heap buffer and from a slice of a direct one
    Object vertx = Json.decodeValue(heap(json));
    // THEN the trees are equal, numbers of the same classes
    assertThat(JsonTree.parse(heap(json))).isEqualTo(vertx);
    assertThat(JsonTree.parse(direct(json))).isEqualTo(vertx);
    assertThat(numberClasses(JsonTree.parse(direct(json)))).isEqualTo(numberClasses(vertx));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {
      "{\"type\":\"job_progress\",\"jobId\":null,\"data\":{\"processed\":5,\"stage\":null,\"resumeState\":{\"page\":null}}}",
      "{\"a\":[1,null,{\"b\":null,\"c\":[null]}],\"d\":null}",
      "{\"dup\":1,\"dup\":null}",
      "{\"dup\":null,\"dup\":2}",
      "{\"only\":null}"})
  @DisplayName("dropping null members while parsing gives the tree of parse + ProtocolCodec.stripNulls (array nulls kept)")
  void dropsNullMembers(String json) {
    // GIVEN a JSON text with null members; WHEN parsed dropping them, and the two-pass way
    io.vertx.core.json.JsonObject twoPass = (io.vertx.core.json.JsonObject) Json.decodeValue(heap(json));
    ProtocolCodec.stripNulls(twoPass);
    // THEN the trees are equal, for heap and direct buffers
    assertThat(JsonTree.parse(heap(json), true)).isEqualTo(twoPass);
    assertThat(JsonTree.parse(direct(json), true)).isEqualTo(twoPass);
    assertThat(twoPass.encode()).doesNotContain("\"dup\":null").doesNotContain("\"d\"");
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {"{\"a\":1} {\"b\":2}", "{\"a\":1", "{\"a\":}", "{'a':1}", "", "{\"a\":1} x",
      "{\"a\":1 /* comment */}"})
  @DisplayName("anything but exactly one JSON value is a DecodeException (comments included: JSON has none)")
  void rejects(String json) {
    assertThatThrownBy(() -> JsonTree.parse(direct(json))).isInstanceOf(DecodeException.class);
  }

  private static String numberClasses(Object v) {
    StringBuilder sb = new StringBuilder();
    walk(v instanceof io.vertx.core.json.JsonObject o ? o.getMap() : v instanceof io.vertx.core.json.JsonArray a ? a.getList() : v, sb);
    return sb.toString();
  }

  private static void walk(Object v, StringBuilder sb) {
    if (v instanceof Map<?, ?> m) {
      m.values().forEach(x -> walk(x, sb));
    } else if (v instanceof List<?> l) {
      l.forEach(x -> walk(x, sb));
    } else if (v instanceof Number n) {
      sb.append(n.getClass().getSimpleName()).append(' ');
    }
  }
}
