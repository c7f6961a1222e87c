package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.MessageType;

/** {@code error} (hub extension): why a message was rejected. Build frames with {@code Frames.error*}. */
public record ErrorMessage(String jobId, ErrorCode code, String message, String refType) implements WireMessage {
  public static ErrorMessage from(JsonObject envelopeOrData) {
    Map<String, Object> d = Fields.data(envelopeOrData);
    return new ErrorMessage(Fields.jobId(envelopeOrData), ErrorCode.parse(Fields.string(d, "code")),
        Fields.string(d, "message"), Fields.string(d, "refType"));
  }

  @Override
  public MessageType type() {
    return MessageType.ERROR;
  }

  @Override
  public JsonObject toJson() {
    JsonObject d = new JsonObject().put("code", code.name()).put("message", message);
    return Fields.envelope(type(), jobId, Fields.putIf(d, "refType", refType));
  }
}
