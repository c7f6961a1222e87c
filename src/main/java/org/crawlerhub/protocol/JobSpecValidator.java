package org.crawlerhub.protocol;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.List;
import java.util.TreeSet;

/**
 * THE validation of a job spec as enqueued through {@code POST /api/jobs} or {@code hub.jobs.enqueue}
 * (SPEC §5): the HTTP API and the jobs service both ask it, so a body is judged the same way on
 * either side. Pure; every field at fault is added as {@code <prefix><field>: <problem>}.
 */
public final class JobSpecValidator {
  /** The most jobs one enqueue may carry (one all-or-nothing batch). */
  public static final int MAX_BATCH = 10_000;

  private static final String ENTITY_TYPES = String.join(", ", new TreeSet<>(List.of(EntityType.wireNames())));

  private JobSpecValidator() {}

  /** Adds every fault of one job spec to {@code faults}; {@code prefix} is e.g. {@code ""} or {@code "jobs[3]."}. */
  public static void check(JsonObject spec, String prefix, List<String> faults) {
    Object entityType = spec.getValue("entityType");
    if (entityType == null) {
      faults.add(prefix + "entityType: required string");
    } else if (!(entityType instanceof String s) || EntityType.fromWire(s) == null) {
      faults.add(prefix + "entityType: must be one of " + ENTITY_TYPES);
    }
    requiredString(spec, prefix, "entityId", faults);
    requiredString(spec, prefix, "accessToken", faults);
    if (requiredString(spec, prefix, "gitlabUrl", faults) && !httpUrl(spec.getString("gitlabUrl"))) {
      faults.add(prefix + "gitlabUrl: must be an http(s) URL");
    }
    Object id = spec.getValue("id");
    if (id != null && (!(id instanceof String s) || s.isBlank() || s.length() > 200)) {
      faults.add(prefix + "id: must be a string of 1..200 characters");
    }
    for (String f : List.of("fullPath", "jobType", "command")) {
      Object v = spec.getValue(f);
      if (v != null && (!(v instanceof String s) || s.isBlank())) {
        faults.add(prefix + f + ": must be a non-empty string");
      }
    }
    Object account = spec.getValue("accountId");
    if (account != null && !(account instanceof String) && !(account instanceof Number)) {
      faults.add(prefix + "accountId: must be a string or a number");
    }
    Object priority = spec.getValue("priority");
    if (priority != null && !integral(priority, Integer.MIN_VALUE)) {
      faults.add(prefix + "priority: must be an integer");
    }
    Object maxAttempts = spec.getValue("maxAttempts");
    if (maxAttempts != null && !integral(maxAttempts, 1)) {
      faults.add(prefix + "maxAttempts: must be an integer >= 1");
    }
    for (String f : List.of("resumeState", "metadata")) {
      Object v = spec.getValue(f);
      if (v != null && !(v instanceof JsonObject)) {
        faults.add(prefix + f + ": must be an object");
      }
    }
  }

  private static boolean requiredString(JsonObject o, String prefix, String f, List<String> faults) {
    Object v = o.getValue(f);
    if (!(v instanceof String s) || s.isBlank()) {
      faults.add(prefix + f + ": required string");
      return false;
    }
    return true;
  }

  private static boolean integral(Object v, long min) {
    return v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
        && n.doubleValue() <= Integer.MAX_VALUE && n.doubleValue() >= min;
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
