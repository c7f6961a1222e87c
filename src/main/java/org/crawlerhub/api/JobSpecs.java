package org.crawlerhub.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Edge validation of {@code POST /api/jobs} bodies (SPEC §5), so a client learns every field at
 * fault in one 400 before anything reaches the jobs service (which validates again: it is the
 * authority, this is courtesy). Paths are {@code entityType} for one object and
 * {@code jobs[2].entityType} for arrays.
 */
final class JobSpecs {
  private JobSpecs() {}

  static final Set<String> ENTITY_TYPES = Set.of("project", "group", "user", "issue", "merge_request",
      "commit", "branch", "pipeline", "release", "groupMilestones", "epics", "jobs", "mergeRequestNotes",
      "areas");
  static final int MAX_BATCH = 10_000;

  /** Validates an object or array body; returns the specs as an array. */
  static JsonArray validate(Object body) {
    List<String> faults = new ArrayList<>();
    JsonArray specs;
    if (body instanceof JsonObject o) {
      specs = new JsonArray().add(o);
      check(o, "", faults);
    } else if (body instanceof JsonArray a) {
      if (a.isEmpty()) {
        throw ApiException.badRequest("jobs: at least one job is required");
      }
      if (a.size() > MAX_BATCH) {
        throw ApiException.badRequest("jobs: at most " + MAX_BATCH + " jobs per request");
      }
      specs = a;
      for (int i = 0; i < a.size(); i++) {
        Object e = a.getValue(i);
        String path = "jobs[" + i + "].";
        if (e instanceof JsonObject o) {
          check(o, path, faults);
        } else {
          faults.add("jobs[" + i + "]: must be an object");
        }
      }
    } else {
      throw ApiException.badRequest("body: a job object or an array of job objects is required");
    }
    if (!faults.isEmpty()) {
      throw ApiException.badRequest(String.join("; ", faults));
    }
    return specs;
  }

  private static void check(JsonObject o, String p, List<String> faults) {
    Object entityType = o.getValue("entityType");
    if (entityType == null) {
      faults.add(p + "entityType: required string");
    } else if (!(entityType instanceof String s) || !ENTITY_TYPES.contains(s)) {
      faults.add(p + "entityType: must be one of " + String.join(", ", new java.util.TreeSet<>(ENTITY_TYPES)));
    }
    requiredString(o, p, "entityId", faults);
    requiredString(o, p, "accessToken", faults);
    if (requiredString(o, p, "gitlabUrl", faults) && !httpUrl(o.getString("gitlabUrl"))) {
      faults.add(p + "gitlabUrl: must be an http(s) URL");
    }
    for (String f : List.of("id", "fullPath", "jobType", "command")) {
      Object v = o.getValue(f);
      if (v != null && (!(v instanceof String s) || s.isBlank())) {
        faults.add(p + f + ": must be a non-empty string");
      }
    }
    Object account = o.getValue("accountId");
    if (account != null && !(account instanceof String) && !(account instanceof Number)) {
      faults.add(p + "accountId: must be a string or a number");
    }
    Object priority = o.getValue("priority");
    if (priority != null && !integral(priority)) {
      faults.add(p + "priority: must be an integer");
    }
    Object maxAttempts = o.getValue("maxAttempts");
    if (maxAttempts != null && (!integral(maxAttempts) || ((Number) maxAttempts).longValue() < 1)) {
      faults.add(p + "maxAttempts: must be an integer >= 1");
    }
    for (String f : List.of("resumeState", "metadata")) {
      Object v = o.getValue(f);
      if (v != null && !(v instanceof JsonObject)) {
        faults.add(p + f + ": must be an object");
      }
    }
  }

  private static boolean requiredString(JsonObject o, String p, String f, List<String> faults) {
    Object v = o.getValue(f);
    if (v == null) {
      faults.add(p + f + ": required string");
      return false;
    }
    if (!(v instanceof String s) || s.isBlank()) {
      faults.add(p + f + ": must be a non-empty string");
      return false;
    }
    return true;
  }

  private static boolean integral(Object v) {
    return v instanceof Integer || v instanceof Long
        || (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()));
  }

  private static boolean httpUrl(String s) {
    try {
      URI u = URI.create(s);
      return ("http".equalsIgnoreCase(u.getScheme()) || "https".equalsIgnoreCase(u.getScheme()))
          && u.getHost() != null;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
