package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.crawlerhub.protocol.MessageType;

/** {@code hello} (hub extension): who the crawler is, and its token on TCP. toString masks the token. */
public record Hello(String crawlerId, String version, List<String> capabilities, String token,
    JsonObject extras) implements WireMessage {
  private static final Set<String> KNOWN = Set.of("crawlerId", "version", "capabilities", "token");

  public Hello {
    capabilities = capabilities == null ? List.of() : List.copyOf(capabilities);
    extras = Fields.copyOrEmpty(extras);
  }

  @Override
  public JsonObject extras() {
    return extras.copy();
  }

  public static Hello from(JsonObject envelopeOrData) {
    Map<String, Object> d = Fields.data(envelopeOrData);
    return new Hello(Fields.string(d, "crawlerId"), Fields.string(d, "version"),
        Fields.strings(d, "capabilities"), Fields.string(d, "token"), Fields.extras(d, KNOWN));
  }

  @Override
  public MessageType type() {
    return MessageType.HELLO;
  }

  @Override
  public JsonObject toJson() {
    JsonObject d = Fields.dataWith(extras).put("crawlerId", crawlerId);
    Fields.putIf(d, "version", version);
    d.put("capabilities", new JsonArray(new java.util.ArrayList<>(capabilities)));
    Fields.putIf(d, "token", token);
    return Fields.envelope(type(), null, d);
  }

  @Override
  public String toString() {
    return "Hello[crawlerId=" + crawlerId + ", version=" + version + ", capabilities=" + capabilities
        + ", token=" + Fields.mask(token) + ", extras=" + extras + "]";
  }
}
