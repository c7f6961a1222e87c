package org.crawlerhub.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Keeps the README's protocol section true: every example line there is a valid message. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ReadmeExamplesTest {

  @Test
  @DisplayName("every example line in the README decodes and validates in its direction")
  void readmeExamplesAreValid() throws Exception {
    // GIVEN the example lines of the README's protocol section
    List<String> lines = Files.readAllLines(Path.of("README.md")).stream()
        .filter(l -> l.startsWith("{\"type\":")).collect(Collectors.toList());
    assertThat(lines).hasSizeGreaterThanOrEqualTo(16);

    for (String line : lines) {
      JsonObject raw = new JsonObject(line);
      MessageType type = MessageType.fromWire(raw.getString("type"));
      assertThat(type).as(line).isNotNull();
      // WHEN each is checked as the hub would check it THEN it passes
      if (type.inbound()) {
        assertThatCode(() -> MessageValidator.validateInbound(ProtocolCodec.decode(Buffer.buffer(line), 1 << 20)))
            .as(line).doesNotThrowAnyException();
      } else {
        assertThatCode(() -> MessageValidator.prepareOutbound(raw.copy())).as(line).doesNotThrowAnyException();
      }
    }
    // AND every message type of the protocol has an example
    assertThat(lines.stream().map(l -> new JsonObject(l).getString("type")).distinct().count())
        .isEqualTo(MessageType.values().length);
  }
}
