package org.crawlerhub.jobs;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.crawlerhub.persistence.NewJob;
import org.crawlerhub.protocol.JobSpecValidator;

/** Parses {@code hub.jobs.enqueue} bodies into new jobs; the checks are {@link JobSpecValidator}'s. */
final class JobSpecs {
  private JobSpecs() {}

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
    if (specs.size() > JobSpecValidator.MAX_BATCH) {
      throw new InvalidSpec(List.of("jobs: at most " + JobSpecValidator.MAX_BATCH + " jobs per request"));
    }
    List<NewJob> out = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      String p = "jobs[" + i + "]";
      if (!(specs.getValue(i) instanceof JsonObject s)) {
        faults.add(p + ": must be an object");
        continue;
      }
      int before = faults.size();
      JobSpecValidator.check(s, p + ".", faults);
      if (faults.size() == before) {
        String id = s.getString("id");
        Object account = s.getValue("accountId");
        out.add(new NewJob(id, id != null ? id : UUID.randomUUID().toString(), s.getString("entityType"),
            s.getString("entityId"), s.getString("fullPath"), s.getString("jobType"), s.getString("command"),
            account == null ? null : account.toString(), s.getString("gitlabUrl"), s.getString("accessToken"),
            s.getValue("priority") instanceof Number n ? n.intValue() : 1,
            s.getValue("maxAttempts") instanceof Number m ? m.intValue() : defaultMaxAttempts,
            s.getJsonObject("resumeState"), s.getJsonObject("metadata")));
      }
    }
    if (!faults.isEmpty()) {
      throw new InvalidSpec(faults);
    }
    return out;
  }
}
