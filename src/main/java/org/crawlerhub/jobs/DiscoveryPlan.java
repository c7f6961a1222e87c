package org.crawlerhub.jobs;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.crawlerhub.persistence.AreaRepository.Area;
import org.crawlerhub.persistence.ChildJob;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.ProtocolException;

/**
 * Turns a {@code jobs_discovered} or {@code discovery} message (SPEC §2.3) into rows: areas to upsert,
 * child jobs and their configured fan-out. Child dedupe keys are derived from the parent and the
 * entity, so re-sending the same discovery creates nothing new.
 */
record DiscoveryPlan(List<Area> areas, List<ChildJob> children, List<ChildJob> fanOut, JsonObject summary) {

  private static final Map<String, String> AREA_TYPE = Map.of("discover_namespaces", "group",
      "crawl_group", "group", "crawl_project", "project", "crawl_user", "user");
  private static final Map<String, String> CHILD_ENTITY_TYPE = Map.of("discover_namespaces", "areas",
      "crawl_group", "group", "crawl_project", "project", "crawl_user", "user");
  /** Fan-out kinds (config {@code discovery.fanOut}) to the EntityType of the data job. */
  private static final Map<String, String> FAN_OUT_ENTITY_TYPE = Map.of("issues", "issue",
      "mergeRequests", "merge_request", "commits", "commit", "branches", "branch", "pipelines", "pipeline",
      "releases", "release");

  static DiscoveryPlan fromJobsDiscovered(String parentId, JsonObject data, Map<String, List<String>> fanOutCfg) {
    List<String> faults = new ArrayList<>();
    Object list = data.getValue("discovered_jobs");
    if (!(list instanceof JsonArray items)) {
      throw invalid("data.discovered_jobs: required array");
    }
    Object summary = data.getValue("discovery_summary");
    if (!(summary instanceof JsonObject)) {
      faults.add("data.discovery_summary: required object");
    }
    Map<String, Area> areas = new LinkedHashMap<>();
    List<ChildJob> children = new ArrayList<>(items.size());
    List<ChildJob> fanOut = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      String p = "data.discovered_jobs[" + i + "]";
      if (!(items.getValue(i) instanceof JsonObject item)) {
        faults.add(p + ": must be an object");
        continue;
      }
      String jobType = item.getValue("job_type") instanceof String s ? s : null;
      if (jobType == null || !AREA_TYPE.containsKey(jobType)) {
        faults.add(p + ".job_type: required, one of discover_namespaces, crawl_user, crawl_group, crawl_project");
      }
      Object entityIdValue = item.getValue("entity_id");
      String entityId = entityIdValue instanceof String || entityIdValue instanceof Number
          ? String.valueOf(entityIdValue) : null;
      if (entityId == null) {
        faults.add(p + ".entity_id: required string or number");
      }
      String path = item.getValue("namespace_path") instanceof String s ? s : null;
      if (path == null) {
        faults.add(p + ".namespace_path: required string");
      }
      String name = item.getValue("entity_name") instanceof String s ? s : null;
      if (name == null) {
        faults.add(p + ".entity_name: required string");
      }
      Object prio = item.getValue("priority");
      if (prio != null && !(prio instanceof Number)) {
        faults.add(p + ".priority: must be a number");
      }
      if (jobType == null || !AREA_TYPE.containsKey(jobType) || entityId == null || path == null || name == null
          || (prio != null && !(prio instanceof Number))) {
        continue;
      }
      int priority = prio == null ? 1 : ((Number) prio).intValue();
      String areaType = AREA_TYPE.get(jobType);
      areas.put(entityId + "\u0000" + areaType, new Area(entityId, areaType, name, path, null));
      JsonObject meta = new JsonObject().put("gitlabId", entityId).put("entityName", name)
          .put("namespacePath", path).put("discoveredBy", parentId);
      if (item.getValue("estimated_size") instanceof JsonObject size) {
        meta.put("estimatedSize", size);
      }
      String key = parentId + ":" + jobType + ":" + entityId;
      children.add(new ChildJob(randomId(), priority, jobType, jobType,
          CHILD_ENTITY_TYPE.get(jobType), path, path, meta.encode(), key));
      for (String kind : fanOutCfg.getOrDefault(jobType, List.of())) {
        JsonObject fanMeta = meta.copy().put("fanOutOf", jobType);
        fanOut.add(new ChildJob(randomId(), priority, kind, kind,
            FAN_OUT_ENTITY_TYPE.getOrDefault(kind, kind), path, path, fanMeta.encode(), key + ":" + kind));
      }
    }
    if (!faults.isEmpty()) {
      throw invalid(String.join("; ", faults));
    }
    return new DiscoveryPlan(new ArrayList<>(areas.values()), children, fanOut, (JsonObject) summary);
  }

  /** A {@code discovery} message: entities of one EntityType upserted as areas. */
  static List<Area> fromDiscovery(JsonObject data) {
    List<String> faults = new ArrayList<>();
    String entityType = data.getValue("entityType") instanceof String s ? s : null;
    String areaType = entityType == null ? null : switch (entityType) {
      case "group", "areas" -> "group";
      case "project" -> "project";
      case "user" -> "user";
      default -> null;
    };
    if (areaType == null) {
      faults.add("data.entityType: required, one of group, project, user, areas for discovery entities");
    }
    if (!(data.getValue("entities") instanceof JsonArray entities)) {
      faults.add("data.entities: required array");
      throw invalid(String.join("; ", faults));
    }
    Map<String, Area> areas = new LinkedHashMap<>();
    for (int i = 0; i < entities.size(); i++) {
      String p = "data.entities[" + i + "]";
      if (!(entities.getValue(i) instanceof JsonObject e)) {
        faults.add(p + ": must be an object");
        continue;
      }
      Object id = e.getValue("id");
      String name = e.getValue("name") instanceof String s ? s : null;
      String path = e.getValue("path") instanceof String s ? s : null;
      if (!(id instanceof String || id instanceof Number)) {
        faults.add(p + ".id: required string or number");
      }
      if (name == null) {
        faults.add(p + ".name: required string");
      }
      if (path == null) {
        faults.add(p + ".path: required string");
      }
      Object parent = e.getValue("parentId");
      if (areaType != null && (id instanceof String || id instanceof Number) && name != null && path != null) {
        String gid = String.valueOf(id);
        areas.put(gid, new Area(gid, areaType, name, path, parent == null ? null : String.valueOf(parent)));
      }
    }
    if (!faults.isEmpty()) {
      throw invalid(String.join("; ", faults));
    }
    return new ArrayList<>(areas.values());
  }

  /** A random (version 4) UUID without SecureRandom: ids need uniqueness, not secrecy. */
  static String randomId() {
    java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
    long msb = (r.nextLong() & ~0xF000L) | 0x4000L;
    long lsb = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(msb, lsb).toString();
  }

  private static ProtocolException invalid(String message) {
    return new ProtocolException(ErrorCode.VALIDATION_FAILED, message);
  }
}
