package org.crawlerhub.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * The SPEC §5 JobProgress shape built from a job as the jobs service stores it ({@code job.progress}
 * is the crawler's last {@code job_progress} data plus counts). Used only when the progress
 * aggregator no longer holds the job (finished jobs leave it after a while), so that
 * {@code GET /api/jobs/{id}} and {@code GET /api/progress/{id}} answer one shape whatever the source.
 */
final class StoredProgress {
  private StoredProgress() {}

  /** JobProgress of a stored job, or null when the job has no recorded progress. */
  static JsonObject of(JsonObject job) {
    if (!(job.getValue("progress") instanceof JsonObject p) || p.isEmpty()) {
      return null;
    }
    String status = job.getString("status");
    long processed = number(p.getValue("processed"), 0);
    long total = number(p.getValue("total"), -1);
    double completion = "completed".equals(status) ? 1.0
        : total > 0 ? Math.max(0, Math.min(1, (double) processed / total)) : 0.0;
    String stage = "completed".equals(status) ? "completed"
        : "failed".equals(status) || "dead".equals(status) ? "failed" : p.getString("stage");
    JsonObject out = new JsonObject()
        .put("jobId", job.getString("id"))
        .put("attempt", job.getValue("attempt"))
        .put("status", status)
        .put("stage", stage)
        .put("processed", processed);
    if (job.getString("leaseOwner") != null) {
      out.put("crawlerId", job.getString("leaseOwner"));
    }
    if (p.getValue("entityType") instanceof String et) {
      out.put("entityType", et);
    }
    if (total >= 0) {
      out.put("total", total);
    }
    out.put("completion", completion);
    long elapsed = elapsedMs(job.getString("startedAt"), job.getString("finishedAt"));
    if (elapsed >= 0) {
      out.put("elapsedMs", elapsed);
    }
    JsonObject entities = new JsonObject();
    for (String counts : new String[] {"itemCounts", "partialCounts", "finalCounts"}) {
      if (p.getValue(counts) instanceof JsonObject c) {
        entities.mergeIn(c);
        out.put(counts, c);
      }
    }
    if (entities.isEmpty() && p.getValue("entityType") instanceof String et) {
      entities.put(et, processed);
    }
    out.put("entities", entities);
    out.put("milestones", new JsonArray());
    Object resume = p.getValue("resumeState") instanceof JsonObject r ? r : job.getValue("resumeState");
    if (resume instanceof JsonObject r) {
      out.put("resumeState", r);
    }
    if (p.getValue("message") instanceof String m) {
      out.put("message", m);
    }
    if (job.getString("startedAt") != null) {
      out.put("startedAt", job.getString("startedAt"));
    }
    if (job.getString("finishedAt") != null) {
      out.put("finishedAt", job.getString("finishedAt"));
    }
    out.put("updatedAt", p.getString("updatedAt", job.getString("updatedAt")));
    return out.put("source", "database");
  }

  private static long number(Object v, long otherwise) {
    return v instanceof Number n ? n.longValue() : otherwise;
  }

  private static long elapsedMs(String startedAt, String finishedAt) {
    if (startedAt == null || finishedAt == null) {
      return -1;
    }
    try {
      return Math.max(0, Duration.between(Instant.parse(startedAt), Instant.parse(finishedAt)).toMillis());
    } catch (DateTimeParseException e) {
      return -1;
    }
  }
}
