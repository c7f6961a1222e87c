package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import org.crawlerhub.protocol.MessageType;

/** {@code job_started}: the crawler began working on an assigned job. */
public record JobStarted(String jobId, String entityType, String entityId, JsonObject extras)
    implements WireMessage {
  private static final Set<String> KNOWN = Set.of("entityType", "entityId");

  public JobStarted {
    extras = Fields.copyOrEmpty(extras);
  }

  @Override
  public JsonObject extras() {
    return extras.copy();
  }

  public static JobStarted from(JsonObject envelopeOrData) {
    Map<String, Object> d = Fields.data(envelopeOrData);
    return new JobStarted(Fields.jobId(envelopeOrData), Fields.string(d, "entityType"), Fields.id(d, "entityId"),
        Fields.extras(d, KNOWN));
  }

  @Override
  public MessageType type() {
    return MessageType.JOB_STARTED;
  }

  @Override
  public JsonObject toJson() {
    JsonObject d = Fields.dataWith(extras);
    Fields.putIf(d, "entityType", entityType);
    Fields.putIf(d, "entityId", entityId);
    return Fields.envelope(type(), jobId, d);
  }
}
