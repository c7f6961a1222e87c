package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import org.crawlerhub.protocol.MessageType;

/**
 * {@code job_assignment}: a job pushed by the web app or an operator (never on the hub's own
 * initiative). Defaults: priority 1, resume false. toString masks the access token.
 */
public record JobAssignment(String jobId, String jobType, String entityId, String namespacePath,
    String gitlabHost, String accessToken, int priority, boolean resume, JsonObject extras)
    implements WireMessage {
  private static final Set<String> KNOWN = Set.of("job_id", "job_type", "entity_id", "namespace_path",
      "gitlab_host", "access_token", "priority", "resume");

  public JobAssignment {
    extras = Fields.copyOrEmpty(extras);
  }

  @Override
  public JsonObject extras() {
    return extras.copy();
  }

  public static JobAssignment from(JsonObject envelopeOrData) {
    Map<String, Object> d = Fields.data(envelopeOrData);
    return new JobAssignment(Fields.string(d, "job_id"), Fields.string(d, "job_type"), Fields.id(d, "entity_id"),
        Fields.string(d, "namespace_path"), Fields.string(d, "gitlab_host"), Fields.string(d, "access_token"),
        (int) Fields.lng(d, "priority", 1), Boolean.TRUE.equals(Fields.bool(d, "resume")), Fields.extras(d, KNOWN));
  }

  @Override
  public MessageType type() {
    return MessageType.JOB_ASSIGNMENT;
  }

  @Override
  public JsonObject toJson() {
    JsonObject d = Fields.dataWith(extras).put("job_id", jobId).put("job_type", jobType);
    Fields.putIf(d, "entity_id", entityId);
    Fields.putIf(d, "namespace_path", namespacePath);
    d.put("gitlab_host", gitlabHost).put("access_token", accessToken).put("priority", priority)
        .put("resume", resume);
    return Fields.envelope(type(), null, d);
  }

  @Override
  public String toString() {
    return "JobAssignment[jobId=" + jobId + ", jobType=" + jobType + ", entityId=" + entityId + ", namespacePath="
        + namespacePath + ", gitlabHost=" + gitlabHost + ", accessToken=" + Fields.mask(accessToken)
        + ", priority=" + priority + ", resume=" + resume + "]";
  }
}
