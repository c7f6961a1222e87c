package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.crawlerhub.protocol.MessageType;

/** {@code shutdown}: the hub is stopping. Defaults: graceful true, timeout_seconds 30. */
public record Shutdown(boolean graceful, long timeoutSeconds, String reason) implements WireMessage {
  public static Shutdown from(JsonObject envelopeOrData) {
    Map<String, Object> d = Fields.data(envelopeOrData);
    Boolean graceful = Fields.bool(d, "graceful");
    return new Shutdown(graceful == null || graceful, Fields.lng(d, "timeout_seconds", 30),
        Fields.string(d, "reason"));
  }

  @Override
  public MessageType type() {
    return MessageType.SHUTDOWN;
  }

  @Override
  public JsonObject toJson() {
    JsonObject d = new JsonObject().put("graceful", graceful).put("timeout_seconds", timeoutSeconds);
    return Fields.envelope(type(), null, Fields.putIf(d, "reason", reason));
  }
}
