package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import org.crawlerhub.protocol.MessageType;

/** {@code job_progress}: how far a job got; {@code itemCounts}, rate and ETA are optional extras. */
public record JobProgress(String jobId, String stage, String entityType, double processed, Double total,
    String message, ResumeState resumeState, Map<String, Long> itemCounts, Double processingRate,
    Double estimatedTimeRemaining, JsonObject extras) implements WireMessage {
  private static final Set<String> KNOWN = Set.of("stage", "entityType", "processed", "total", "message",
      "resumeState", "itemCounts", "processingRate", "estimatedTimeRemaining");

  public JobProgress {
    itemCounts = itemCounts == null ? null : Map.copyOf(itemCounts);
    extras = Fields.copyOrEmpty(extras);
  }

  @Override
  public JsonObject extras() {
    return extras.copy();
  }

  public static JobProgress from(JsonObject envelopeOrData) {
    Map<String, Object> d = Fields.data(envelopeOrData);
    Double processed = Fields.dbl(d, "processed");
    return new JobProgress(Fields.jobId(envelopeOrData), Fields.string(d, "stage"), Fields.string(d, "entityType"),
        processed == null ? 0 : processed, Fields.dbl(d, "total"), Fields.string(d, "message"),
        ResumeState.of(d), Fields.counts(d, "itemCounts"), Fields.dbl(d, "processingRate"),
        Fields.dbl(d, "estimatedTimeRemaining"), Fields.extras(d, KNOWN));
  }

  @Override
  public MessageType type() {
    return MessageType.JOB_PROGRESS;
  }

  @Override
  public JsonObject toJson() {
    JsonObject d = Fields.dataWith(extras).put("stage", stage).put("entityType", entityType)
        .put("processed", processed);
    Fields.putIf(d, "total", total);
    Fields.putIf(d, "message", message);
    Fields.putIf(d, "resumeState", ResumeState.toJson(resumeState));
    Fields.putIf(d, "itemCounts", Fields.countsJson(itemCounts));
    Fields.putIf(d, "processingRate", processingRate);
    Fields.putIf(d, "estimatedTimeRemaining", estimatedTimeRemaining);
    return Fields.envelope(type(), jobId, d);
  }
}
