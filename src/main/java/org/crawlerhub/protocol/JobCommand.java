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
 */
public record JobCommand(MessageType type, String jobId, JsonObject envelope, JsonObject data,
    JsonObject resumeState) {

  /** The command for an envelope; its type may be null when the envelope has none the hub knows. */
  public static JobCommand fromEnvelope(JsonObject envelope) {
    MessageType type = RawFields.get(envelope, "type") instanceof String t ? MessageType.fromWire(t) : null;
    String jobId = RawFields.string(envelope, "jobId");
    if (jobId != null) {
      jobId.hashCode(); // computed (and cached in the string) here, where its bytes are in the cache
    }
    JsonObject data = RawFields.object(envelope, "data");
    JsonObject resume = data == null ? null : RawFields.object(data, "resumeState");
    return new JobCommand(type, jobId, envelope, data, resume);
  }
}
