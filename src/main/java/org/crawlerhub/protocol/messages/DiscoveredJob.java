package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;

/** One item of {@code jobs_discovered.data.discovered_jobs}; priority defaults to 1. */
public record DiscoveredJob(String jobType, String entityId, String namespacePath, String entityName,
    int priority, Map<String, Long> estimatedSize, JsonObject extras) {
  private static final Set<String> KNOWN =
      Set.of("job_type", "entity_id", "namespace_path", "entity_name", "priority", "estimated_size");

  public DiscoveredJob {
    estimatedSize = estimatedSize == null ? null : Map.copyOf(estimatedSize);
    extras = Fields.copyOrEmpty(extras);
  }

  @Override
  public JsonObject extras() {
    return extras.copy();
  }

  public static DiscoveredJob from(JsonObject json) {
    return fromMap(json.getMap());
  }

  static DiscoveredJob fromMap(Map<String, Object> m) {
    return new DiscoveredJob(Fields.string(m, "job_type"), Fields.id(m, "entity_id"),
        Fields.string(m, "namespace_path"), Fields.string(m, "entity_name"), (int) Fields.lng(m, "priority", 1),
        Fields.counts(m, "estimated_size"), Fields.extras(m, KNOWN));
  }

  public JsonObject toJson() {
    JsonObject o = Fields.dataWith(extras).put("job_type", jobType).put("entity_id", entityId)
        .put("namespace_path", namespacePath).put("entity_name", entityName).put("priority", priority);
    return Fields.putIf(o, "estimated_size", Fields.countsJson(estimatedSize));
  }
}
