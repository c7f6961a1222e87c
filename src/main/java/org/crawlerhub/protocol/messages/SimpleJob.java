package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;

/** One job of a {@code job_response} (SPEC §1.4). toString masks the access token. */
public record SimpleJob(String id, String entityType, String entityId, String gitlabUrl, String accessToken,
    ResumeState resumeState, JsonObject extras) {
  private static final Set<String> KNOWN =
      Set.of("id", "entityType", "entityId", "gitlabUrl", "accessToken", "resumeState");

  public SimpleJob {
    extras = Fields.copyOrEmpty(extras);
  }

  public SimpleJob(String id, String entityType, String entityId, String gitlabUrl, String accessToken,
      ResumeState resumeState) {
    this(id, entityType, entityId, gitlabUrl, accessToken, resumeState, null);
  }

  @Override
  public JsonObject extras() {
    return extras.copy();
  }

  public static SimpleJob from(JsonObject json) {
    return fromMap(json.getMap());
  }

  static SimpleJob fromMap(Map<String, Object> m) {
    return new SimpleJob(Fields.string(m, "id"), Fields.string(m, "entityType"), Fields.id(m, "entityId"),
        Fields.string(m, "gitlabUrl"), Fields.string(m, "accessToken"), ResumeState.of(m), Fields.extras(m, KNOWN));
  }

  public JsonObject toJson() {
    JsonObject o = Fields.dataWith(extras).put("id", id).put("entityType", entityType).put("entityId", entityId)
        .put("gitlabUrl", gitlabUrl).put("accessToken", accessToken);
    return Fields.putIf(o, "resumeState", ResumeState.toJson(resumeState));
  }

  @Override
  public String toString() {
    return "SimpleJob[id=" + id + ", entityType=" + entityType + ", entityId=" + entityId + ", gitlabUrl="
        + gitlabUrl + ", accessToken=" + Fields.mask(accessToken) + ", resumeState=" + resumeState + "]";
  }
}
