package org.crawlerhub.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@DisplayName("ProtocolCodec.peekType: the type of a line at a glance, or 'decode it to know'")
class PeekTypeTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', nullValues = "null", value = {
      "{\"type\":\"job_progress\",\"jobId\":\"j\",\"data\":{}}            | JOB_PROGRESS",
      "{\"type\":\"hello\",\"data\":{}}                                    | HELLO",
      "{\"type\":\"token_refresh_request\"}                                | TOKEN_REFRESH_REQUEST",
      "{\"type\":\"job_request\",\"data\":{                                | JOB_REQUEST",
      "{\"jobId\":\"j\",\"type\":\"job_progress\"}                         | null",
      "{ \"type\":\"job_progress\"}                                        | null",
      "{\"type\" : \"job_progress\"}                                       | null",
      "{\"type\":\"job_\\u0070rogress\"}                                   | null",
      "{\"type\":\"weather\"}                                              | null",
      "{\"type\":\"job_progresx\"}                                         | null",
      "{\"type\":\"hob_progress\"}                                         | null",
      "{\"type\":\"job_progres\"}                                          | null",
      "{\"type\":\"job_progress                                            | null",
      "{\"type\":\"\"}                                                     | null",
      "{\"type\":1}                                                        | null",
      "[1,2]                                                               | null",
  })
  void peeks(String line, String expected) {
    MessageType t = ProtocolCodec.peekType(Buffer.buffer(line.strip()));
    assertThat(t == null ? null : t.name()).isEqualTo(expected);
  }

  @org.junit.jupiter.api.Test
  @DisplayName("every wire name is recognised")
  void everyName() {
    for (MessageType t : MessageType.values()) {
      assertThat(ProtocolCodec.peekType(Buffer.buffer("{\"type\":\"" + t.wire() + "\",\"data\":{}}"))).isSameAs(t);
    }
  }

  @org.junit.jupiter.api.Test
  @DisplayName("a non-ASCII byte in the name means decode it to know")
  void nonAscii() {
    byte[] b = "{\"type\":\"job_progr\u00e9ss\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(ProtocolCodec.peekType(Buffer.buffer(b))).isNull();
  }
}
