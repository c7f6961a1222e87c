package org.crawlerhub.persistence;

import io.vertx.core.json.JsonObject;

/**
 * One lifecycle transition requested by a crawler message, fenced by what the hub believed when it
 * accepted the message: the job must still be in {@code from}, at {@code attempt}, leased to
 * {@code crawlerId}. {@code progress} is merged into {@code jobs.progress}; {@code resumeState}
 * replaces the stored one when present; {@code details} go to the event row.
 */
public record Transition(String jobId, String from, String to, int attempt, String crawlerId,
    String reason, String nodeId, JsonObject details, JsonObject progress, JsonObject resumeState) {

  /** The idempotency key of the event row: a job reaches a status at most once per attempt. */
  public String eventKey() {
    return eventKey(jobId, attempt, to);
  }

  public static String eventKey(String jobId, int attempt, String to) {
    return jobId + ":" + attempt + ":" + to;
  }
}
