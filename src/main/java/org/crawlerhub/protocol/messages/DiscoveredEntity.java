package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;

/** One item of {@code discovery.data.entities}; ids are text (GitLab's numeric ids as digits). */
public record DiscoveredEntity(String id, String name, String path, String parentId, JsonObject extras) {
  private static final Set<String> KNOWN = Set.of("id", "name", "path", "parentId");

  public DiscoveredEntity {
    extras = Fields.copyOrEmpty(extras);
  }

  @Override
  public JsonObject extras() {
    return extras.copy();
  }

  public static DiscoveredEntity from(JsonObject json) {
    return fromMap(json.getMap());
  }

  static DiscoveredEntity fromMap(Map<String, Object> m) {
    return new DiscoveredEntity(Fields.id(m, "id"), Fields.string(m, "name"), Fields.string(m, "path"),
        Fields.id(m, "parentId"), Fields.extras(m, KNOWN));
  }

  public JsonObject toJson() {
    JsonObject o = Fields.dataWith(extras).put("id", id).put("name", name).put("path", path);
    return Fields.putIf(o, "parentId", parentId);
  }
}
