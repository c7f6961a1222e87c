package org.crawlerhub.protocol;

import io.vertx.core.json.JsonObject;

/**
 * One crawler message for the jobs service, with what the service needs read once on the
 * router's thread while the envelope is still in its cache (see {@link JobReport} for why).
 *
 * @param type the message type (a type of {@code JobsForwardingHandler.TYPES})
 * @param jobId the envelope's {@code jobId}, or null
 * @param envelope the whole envelope (read-only)
 * @param data the envelope's {@code data}, or null when absent or not an object
 * @param resumeState {@code data.resumeState} when it is an object, else null
 * @param acceptedAttempt {@link #NOT_ACCEPTED} for a command the jobs service decides on; else a
 *     {@code job_progress} the router already accepted under the job's lease of this attempt (the
 *     jobs service only records it, and answers nothing that matters)
 */
public record JobCommand(MessageType type, String jobId, JsonObject envelope, JsonObject data,
    JsonObject resumeState, int acceptedAttempt) {

  /** {@link #acceptedAttempt()} of a command the jobs service decides on. */
  public static final int NOT_ACCEPTED = -1;

  /** The command for an envelope; its type may be null when the envelope has none the hub knows. */
  public static JobCommand fromEnvelope(JsonObject envelope) {
    MessageType type = RawFields.get(envelope, "type") instanceof String t ? MessageType.fromWire(t) : null;
    String jobId = RawFields.string(envelope, "jobId");
    if (jobId != null) {
      jobId.hashCode(); // computed (and cached in the string) here, where its bytes are in the cache
    }
    JsonObject data = RawFields.object(envelope, "data");
    JsonObject resume = data == null ? null : RawFields.object(data, "resumeState");
    return new JobCommand(type, jobId, envelope, data, resume, NOT_ACCEPTED);
  }

  /** A {@code job_progress} accepted by the router under the lease of {@code attempt}: to be recorded. */
  public static JobCommand acceptedProgress(String jobId, JsonObject envelope, JsonObject data,
      JsonObject resumeState, int attempt) {
    return new JobCommand(MessageType.JOB_PROGRESS, jobId, envelope, data, resumeState, attempt);
  }

  /**
   * This accepted progress followed by {@code later} (an accepted progress of the same job): only the
   * latest is recorded, with the latest resume state any of them carried.
   */
  public JobCommand followedBy(JobCommand later) {
    return later.resumeState != null || resumeState == null ? later
        : new JobCommand(later.type, later.jobId, later.envelope, later.data, resumeState, later.acceptedAttempt);
  }
}
