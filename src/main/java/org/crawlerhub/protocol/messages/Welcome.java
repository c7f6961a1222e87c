package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.crawlerhub.protocol.MessageType;

/** {@code welcome} (hub extension): the answer to {@code hello}, with the hub's timing and limits. */
public record Welcome(String crawlerId, String nodeId, int protocolVersion, long heartbeatInterval,
    long heartbeatTimeout, long maxMessageSize, int maxJobsPerRequest) implements WireMessage {
  public static Welcome from(JsonObject envelopeOrData) {
    Map<String, Object> d = Fields.data(envelopeOrData);
    return new Welcome(Fields.string(d, "crawlerId"), Fields.string(d, "nodeId"),
        (int) Fields.lng(d, "protocolVersion", 1), Fields.lng(d, "heartbeatInterval", 0),
        Fields.lng(d, "heartbeatTimeout", 0), Fields.lng(d, "maxMessageSize", 0),
        (int) Fields.lng(d, "maxJobsPerRequest", 0));
  }

  @Override
  public MessageType type() {
    return MessageType.WELCOME;
  }

  @Override
  public JsonObject toJson() {
    return Fields.envelope(type(), null, new JsonObject().put("crawlerId", crawlerId).put("nodeId", nodeId)
        .put("protocolVersion", protocolVersion).put("heartbeatInterval", heartbeatInterval)
        .put("heartbeatTimeout", heartbeatTimeout).put("maxMessageSize", maxMessageSize)
        .put("maxJobsPerRequest", maxJobsPerRequest));
  }
}
