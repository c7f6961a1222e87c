package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;

/**
 * Where a crawler resumes a job (SPEC §1.3, all optional). Crawlers may store more than the three
 * documented fields; the rest is kept in {@code extras} and handed back on the next assignment.
 */
public record ResumeState(String lastEntityId, Long currentPage, String entityType, JsonObject extras) {
  private static final Set<String> KNOWN = Set.of("lastEntityId", "currentPage", "entityType");

  public ResumeState {
    extras = Fields.copyOrEmpty(extras);
  }

  @Override
  public JsonObject extras() {
    return extras.copy();
  }

  /** The resume state in a JSON object, or null when absent. */
  public static ResumeState from(JsonObject json) {
    return json == null ? null : fromMap(json.getMap());
  }

  static ResumeState fromMap(Map<String, Object> m) {
    if (m == null) {
      return null;
    }
    return new ResumeState(Fields.string(m, "lastEntityId"), Fields.lng(m, "currentPage"),
        Fields.string(m, "entityType"), Fields.extras(m, KNOWN));
  }

  /** The {@code resumeState} member of an object, or null when absent. */
  static ResumeState of(Map<String, Object> owner) {
    return fromMap(Fields.map(owner, "resumeState"));
  }

  public JsonObject toJson() {
    JsonObject o = Fields.dataWith(extras);
    Fields.putIf(o, "lastEntityId", lastEntityId);
    Fields.putIf(o, "currentPage", currentPage);
    return Fields.putIf(o, "entityType", entityType);
  }

  static JsonObject toJson(ResumeState rs) {
    return rs == null ? null : rs.toJson();
  }
}
