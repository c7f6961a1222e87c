package org.crawlerhub.jobs;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.crawlerhub.persistence.NewJob;

/** Validation of {@code POST /api/jobs} bodies (SPEC §5): every field at fault is named. */
final class JobSpecs {
  private JobSpecs() {}

  /** SPEC §1.3 EntityType. */
  static final Set<String> ENTITY_TYPES = Set.of("project", "group", "user", "issue", "merge_request", "commit",
      "branch", "pipeline", "release", "groupMilestones", "epics", "jobs", "mergeRequestNotes", "areas");

  /** Refused input; the message lists every field at fault, separated by "; ". */
  static final class InvalidSpec extends RuntimeException {
    InvalidSpec(List<String> faults) {
      super(String.join("; ", faults), null, false, false);
    }
  }

  /** Parses {@code {jobs:[...]}} (or one bare job object) into validated jobs, all or nothing. */
  static List<NewJob> parse(JsonObject body, int defaultMaxAttempts) {
    List<String> faults = new ArrayList<>();
    JsonArray specs;
    if (body == null) {
      throw new InvalidSpec(List.of("body: required object"));
    }
    Object jobs = body.getValue("jobs");
    if (jobs == null && body.containsKey("entityType")) {
      specs = new JsonArray().add(body);
    } else if (jobs instanceof JsonArray a) {
      specs = a;
    } else {
      throw new InvalidSpec(List.of("jobs: required array of job objects"));
    }
    if (specs.isEmpty()) {
      throw new InvalidSpec(List.of("jobs: must not be empty"));
    }
    List<NewJob> out = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      String p = "jobs[" + i + "]";
      if (!(specs.getValue(i) instanceof JsonObject s)) {
        faults.add(p + ": must be an object");
        continue;
      }
      int before = faults.size();
      String entityType = requiredString(s, "entityType", p, faults);
      if (entityType != null && !ENTITY_TYPES.contains(entityType)) {
        faults.add(p + ".entityType: must be one of " + String.join(", ", ENTITY_TYPES.stream().sorted().toList()));
      }
      String entityId = requiredString(s, "entityId", p, faults);
      String gitlabUrl = requiredString(s, "gitlabUrl", p, faults);
      String accessToken = requiredString(s, "accessToken", p, faults);
      String id = optionalString(s, "id", p, faults);
      if (id != null && (id.isBlank() || id.length() > 200)) {
        faults.add(p + ".id: must be 1..200 characters");
      }
      String fullPath = optionalString(s, "fullPath", p, faults);
      String jobType = optionalString(s, "jobType", p, faults);
      String command = optionalString(s, "command", p, faults);
      String accountId = optionalString(s, "accountId", p, faults);
      Integer priority = optionalInt(s, "priority", p, faults, Integer.MIN_VALUE);
      Integer maxAttempts = optionalInt(s, "maxAttempts", p, faults, 1);
      JsonObject resumeState = optionalObject(s, "resumeState", p, faults);
      JsonObject metadata = optionalObject(s, "metadata", p, faults);
      if (faults.size() == before) {
        out.add(new NewJob(id, id != null ? id : UUID.randomUUID().toString(), entityType, entityId, fullPath,
            jobType, command, accountId, gitlabUrl, accessToken, priority == null ? 1 : priority,
            maxAttempts == null ? defaultMaxAttempts : maxAttempts, resumeState, metadata));
      }
    }
    if (!faults.isEmpty()) {
      throw new InvalidSpec(faults);
    }
    return out;
  }

  private static String requiredString(JsonObject s, String field, String p, List<String> faults) {
    Object v = s.getValue(field);
    if (!(v instanceof String str) || str.isBlank()) {
      faults.add(p + "." + field + ": required string");
      return null;
    }
    return str;
  }

  private static String optionalString(JsonObject s, String field, String p, List<String> faults) {
    Object v = s.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String str)) {
      faults.add(p + "." + field + ": must be a string");
      return null;
    }
    return str;
  }

  private static Integer optionalInt(JsonObject s, String field, String p, List<String> faults, int min) {
    Object v = s.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
        || n.doubleValue() > Integer.MAX_VALUE || n.doubleValue() < min) {
      faults.add(p + "." + field + ": must be an integer" + (min > Integer.MIN_VALUE ? " >= " + min : ""));
      return null;
    }
    return n.intValue();
  }

  private static JsonObject optionalObject(JsonObject s, String field, String p, List<String> faults) {
    Object v = s.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof JsonObject o)) {
      faults.add(p + "." + field + ": must be an object");
      return null;
    }
    return o;
  }
}
