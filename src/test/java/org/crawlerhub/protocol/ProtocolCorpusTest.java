package org.crawlerhub.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The wire corpus: every valid example line of SPEC §1.3 must decode and validate, and every line
 * of the invalid corpus must be rejected with its exact code and a message naming the field(s).
 * The corpora are readable tables under {@code src/test/resources/protocol/}.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ProtocolCorpusTest {
  /** Small bound so the over-long cases stay readable. */
  static final int MAX_MESSAGE_SIZE = 1024;

  record InvalidCase(String name, ErrorCode code, List<String> mentions, byte[] line) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> validLines() throws IOException {
    List<Arguments> out = new ArrayList<>();
    for (String line : resourceLines("protocol/valid-inbound.ndjson")) {
      if (!line.isBlank() && !line.startsWith("#")) {
        out.add(Arguments.of(line));
      }
    }
    return out.stream();
  }

  static Stream<InvalidCase> invalidCases() throws IOException {
    List<InvalidCase> out = new ArrayList<>();
    for (String row : resourceLines("protocol/invalid-inbound.txt")) {
      if (row.isBlank() || row.startsWith("#")) {
        continue;
      }
      String[] cols = row.split("\\s*\\|\\s*", 4);
      List<String> mentions = Arrays.stream(cols[2].split("\\s+&\\s+")).map(String::trim).toList();
      out.add(new InvalidCase(cols[0].trim(), ErrorCode.valueOf(cols[1].trim()), mentions,
          rawBytes(cols[3])));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validLines")
  @DisplayName("Every valid example line decodes and passes inbound validation.")
  void validLineIsAccepted(String line) {
    // GIVEN a valid crawler->hub line
    Buffer bytes = Buffer.buffer(line);

    // WHEN it is decoded and validated
    JsonObject msg = ProtocolCodec.decode(bytes, MAX_MESSAGE_SIZE);

    // THEN nothing is rejected, nulls are gone and the job_id alias became jobId
    assertThatCode(() -> MessageValidator.validateInbound(msg)).doesNotThrowAnyException();
    assertThat(MessageType.fromWire(msg.getString("type")).inbound()).isTrue();
    assertThat(msg.containsKey("job_id")).isFalse();
    assertThat(msg.getMap()).doesNotContainValue(null);
    assertThat(msg.getJsonObject("data").getMap()).doesNotContainValue(null);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidCases")
  @DisplayName("Every invalid line is rejected with its exact code and a message naming the field at fault.")
  void invalidLineIsRejected(InvalidCase c) {
    // GIVEN an invalid line from the corpus
    Buffer bytes = Buffer.buffer(c.line());

    // WHEN it goes through the inbound pipeline (decode, then validate)
    ProtocolException e = catchThrowableOfType(ProtocolException.class, () -> {
      JsonObject msg = ProtocolCodec.decode(bytes, MAX_MESSAGE_SIZE);
      MessageValidator.validateInbound(msg);
    });

    // THEN it is rejected with the expected code, naming every expected field
    assertThat(e).as("rejection of %s", c.name()).isNotNull();
    assertThat(e.code()).as("code of %s (message: %s)", c.name(), e.getMessage()).isEqualTo(c.code());
    for (String mention : c.mentions()) {
      assertThat(e.getMessage()).as("message of %s", c.name()).contains(mention);
    }
  }

  @Test
  @DisplayName("The invalid corpus covers at least sixty cases and every inbound rejection code.")
  void invalidCorpusIsLargeAndCoversEveryCode() throws IOException {
    // GIVEN the invalid corpus
    List<InvalidCase> cases = invalidCases().toList();

    // WHEN its codes are collected
    List<ErrorCode> codes = cases.stream().map(InvalidCase::code).distinct().toList();

    // THEN it is large enough and exercises every code decode/validation can produce
    assertThat(cases).hasSizeGreaterThanOrEqualTo(60);
    assertThat(codes).contains(ErrorCode.MESSAGE_TOO_LARGE, ErrorCode.INVALID_JSON,
        ErrorCode.NOT_AN_OBJECT, ErrorCode.UNKNOWN_TYPE, ErrorCode.VALIDATION_FAILED,
        ErrorCode.MISSING_JOB_ID);
  }

  @Test
  @DisplayName("The valid corpus has an example of every crawler->hub type.")
  void validCorpusCoversEveryInboundType() throws IOException {
    // GIVEN the valid corpus
    List<String> types = validLines()
        .map(a -> new JsonObject((String) a.get()[0]).getString("type")).distinct().toList();

    // WHEN compared with the inbound message types
    List<String> inbound = Arrays.stream(MessageType.values()).filter(MessageType::inbound)
        .map(MessageType::wire).toList();

    // THEN every type has at least one example
    assertThat(types).containsExactlyInAnyOrderElementsOf(inbound);
  }

  static List<String> resourceLines(String name) throws IOException {
    try (InputStream in = ProtocolCorpusTest.class.getClassLoader().getResourceAsStream(name)) {
      assertThat(in).as("test resource %s", name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
  }

  /** Expands {@code {{pad:N}}} to N filler characters and {@code \xHH} to the raw byte HH. */
  static byte[] rawBytes(String spec) {
    StringBuilder expanded = new StringBuilder();
    int from = 0;
    int at;
    while ((at = spec.indexOf("{{pad:", from)) >= 0) {
      int end = spec.indexOf("}}", at);
      expanded.append(spec, from, at).append("x".repeat(Integer.parseInt(spec.substring(at + 6, end))));
      from = end + 2;
    }
    expanded.append(spec.substring(from));
    String s = expanded.toString();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < s.length(); i++) {
      if (s.startsWith("\\x", i) && i + 4 <= s.length()) {
        out.write(Integer.parseInt(s.substring(i + 2, i + 4), 16));
        i += 3;
      } else {
        out.writeBytes(String.valueOf(s.charAt(i)).getBytes(StandardCharsets.UTF_8));
      }
    }
    return out.toByteArray();
  }
}
