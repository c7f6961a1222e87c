package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import org.crawlerhub.protocol.MessageType;

/**
 * {@code job_failed}: the job failed, recoverably or not. Extras such as {@code stackTrace},
 * {@code requestDetails} and {@code retryCount} stay in {@code extras}.
 */
public record JobFailed(String jobId, String error, boolean isRecoverable, String errorType,
    ResumeState resumeState, Map<String, Long> partialCounts, JsonObject extras) implements WireMessage {
  private static final Set<String> KNOWN =
      Set.of("error", "isRecoverable", "errorType", "resumeState", "partialCounts");

  public JobFailed {
    partialCounts = partialCounts == null ? null : Map.copyOf(partialCounts);
    extras = Fields.copyOrEmpty(extras);
  }

  @Override
  public JsonObject extras() {
    return extras.copy();
  }

  public static JobFailed from(JsonObject envelopeOrData) {
    Map<String, Object> d = Fields.data(envelopeOrData);
    return new JobFailed(Fields.jobId(envelopeOrData), Fields.string(d, "error"),
        Boolean.TRUE.equals(Fields.bool(d, "isRecoverable")), Fields.string(d, "errorType"), ResumeState.of(d),
        Fields.counts(d, "partialCounts"), Fields.extras(d, KNOWN));
  }

  @Override
  public MessageType type() {
    return MessageType.JOB_FAILED;
  }

  @Override
  public JsonObject toJson() {
    JsonObject d = Fields.dataWith(extras).put("error", error).put("isRecoverable", isRecoverable);
    Fields.putIf(d, "errorType", errorType);
    Fields.putIf(d, "resumeState", ResumeState.toJson(resumeState));
    Fields.putIf(d, "partialCounts", Fields.countsJson(partialCounts));
    return Fields.envelope(type(), jobId, d);
  }
}
