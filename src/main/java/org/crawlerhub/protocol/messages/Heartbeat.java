package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import org.crawlerhub.protocol.MessageType;

/** {@code heartbeat}: the crawler's load and status. {@code memoryUsage} is any JSON value. */
public record Heartbeat(long activeJobs, long totalProcessed, String systemStatus, Object memoryUsage,
    Double uptime, JsonObject extras) implements WireMessage {
  private static final Set<String> KNOWN =
      Set.of("activeJobs", "totalProcessed", "systemStatus", "memoryUsage", "uptime");

  public Heartbeat {
    memoryUsage = Fields.copyValue(memoryUsage);
    extras = Fields.copyOrEmpty(extras);
  }

  @Override
  public Object memoryUsage() {
    return Fields.copyValue(memoryUsage);
  }

  @Override
  public JsonObject extras() {
    return extras.copy();
  }

  public static Heartbeat from(JsonObject envelopeOrData) {
    Map<String, Object> d = Fields.data(envelopeOrData);
    return new Heartbeat(Fields.lng(d, "activeJobs", 0), Fields.lng(d, "totalProcessed", 0),
        Fields.string(d, "systemStatus"), d.get("memoryUsage"), Fields.dbl(d, "uptime"), Fields.extras(d, KNOWN));
  }

  @Override
  public MessageType type() {
    return MessageType.HEARTBEAT;
  }

  @Override
  public JsonObject toJson() {
    JsonObject d = Fields.dataWith(extras).put("activeJobs", activeJobs).put("totalProcessed", totalProcessed)
        .put("systemStatus", systemStatus);
    Fields.putIf(d, "memoryUsage", memoryUsage());
    Fields.putIf(d, "uptime", uptime);
    return Fields.envelope(type(), null, d);
  }
}
