package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;

/** {@code jobs_discovered.data.discovery_summary}: optional totals. */
public record DiscoverySummary(Long totalUsers, Long totalGroups, Long totalProjects, Long hierarchyDepth,
    JsonObject extras) {
  private static final Set<String> KNOWN =
      Set.of("total_users", "total_groups", "total_projects", "hierarchy_depth");

  public DiscoverySummary {
    extras = Fields.copyOrEmpty(extras);
  }

  @Override
  public JsonObject extras() {
    return extras.copy();
  }

  public static DiscoverySummary from(JsonObject json) {
    return fromMap(json == null ? null : json.getMap());
  }

  static DiscoverySummary fromMap(Map<String, Object> m) {
    if (m == null) {
      return new DiscoverySummary(null, null, null, null, null);
    }
    return new DiscoverySummary(Fields.lng(m, "total_users"), Fields.lng(m, "total_groups"),
        Fields.lng(m, "total_projects"), Fields.lng(m, "hierarchy_depth"), Fields.extras(m, KNOWN));
  }

  public JsonObject toJson() {
    JsonObject o = Fields.dataWith(extras);
    Fields.putIf(o, "total_users", totalUsers);
    Fields.putIf(o, "total_groups", totalGroups);
    Fields.putIf(o, "total_projects", totalProjects);
    return Fields.putIf(o, "hierarchy_depth", hierarchyDepth);
  }
}
