package org.crawlerhub.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.crawlerhub.protocol.JobSpecValidator;

/**
 * Edge validation of {@code POST /api/jobs} bodies (SPEC §5) with the same {@link JobSpecValidator}
 * the jobs service uses, so a client learns every field at fault in one 400 with paths that match
 * its body: {@code entityType} for one object, {@code jobs[2].entityType} for arrays.
 */
final class JobSpecs {
  private JobSpecs() {}

  /** Validates an object or array body; returns the specs as an array. */
  static JsonArray validate(Object body) {
    List<String> faults = new ArrayList<>();
    JsonArray specs;
    if (body instanceof JsonObject o) {
      specs = new JsonArray().add(o);
      JobSpecValidator.check(o, "", faults);
    } else if (body instanceof JsonArray a) {
      if (a.isEmpty()) {
        throw ApiException.badRequest("jobs: at least one job is required");
      }
      if (a.size() > JobSpecValidator.MAX_BATCH) {
        throw ApiException.badRequest("jobs: at most " + JobSpecValidator.MAX_BATCH + " jobs per request");
      }
      specs = a;
      for (int i = 0; i < a.size(); i++) {
        if (a.getValue(i) instanceof JsonObject o) {
          JobSpecValidator.check(o, "jobs[" + i + "].", faults);
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
}
