package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import org.crawlerhub.protocol.MessageType;

/** {@code job_request}: asks for up to {@code maxJobs} jobs (null: as many as the hub allows). */
public record JobRequest(Integer maxJobs, JsonObject extras) implements WireMessage {
  private static final Set<String> KNOWN = Set.of("maxJobs");

  public JobRequest {
    extras = Fields.copyOrEmpty(extras);
  }

  @Override
  public JsonObject extras() {
    return extras.copy();
  }

  public static JobRequest from(JsonObject envelopeOrData) {
    Map<String, Object> d = Fields.data(envelopeOrData);
    Long max = Fields.lng(d, "maxJobs");
    Integer maxJobs = max == null ? null : (int) Math.max(0, Math.min(Integer.MAX_VALUE, max));
    return new JobRequest(maxJobs, Fields.extras(d, KNOWN));
  }

  /** How many jobs to hand out: {@code min(maxJobs, cap)}, or {@code cap} when maxJobs is absent (SPEC §2.2). */
  public int effectiveMaxJobs(int cap) {
    return maxJobs == null ? cap : Math.min(maxJobs, cap);
  }

  @Override
  public MessageType type() {
    return MessageType.JOB_REQUEST;
  }

  @Override
  public JsonObject toJson() {
    return Fields.envelope(type(), null, Fields.putIf(Fields.dataWith(extras), "maxJobs", maxJobs));
  }
}
