package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.crawlerhub.protocol.MessageType;

/** {@code job_completed}: the job ended; {@code success} false counts as a failure (SPEC §2.1). */
public record JobCompleted(String jobId, boolean success, Map<String, Long> finalCounts, String message,
    List<String> outputFiles, JsonObject extras) implements WireMessage {
  private static final Set<String> KNOWN = Set.of("success", "finalCounts", "message", "outputFiles");

  public JobCompleted {
    finalCounts = finalCounts == null ? Map.of() : Map.copyOf(finalCounts);
    outputFiles = outputFiles == null ? List.of() : List.copyOf(outputFiles);
    extras = Fields.copyOrEmpty(extras);
  }

  @Override
  public JsonObject extras() {
    return extras.copy();
  }

  public static JobCompleted from(JsonObject envelopeOrData) {
    Map<String, Object> d = Fields.data(envelopeOrData);
    return new JobCompleted(Fields.jobId(envelopeOrData), Boolean.TRUE.equals(Fields.bool(d, "success")),
        Fields.counts(d, "finalCounts"), Fields.string(d, "message"), Fields.strings(d, "outputFiles"),
        Fields.extras(d, KNOWN));
  }

  @Override
  public MessageType type() {
    return MessageType.JOB_COMPLETED;
  }

  @Override
  public JsonObject toJson() {
    JsonObject d = Fields.dataWith(extras).put("success", success).put("finalCounts", Fields.countsJson(finalCounts));
    Fields.putIf(d, "message", message);
    if (!outputFiles.isEmpty()) {
      d.put("outputFiles", new JsonArray(new ArrayList<>(outputFiles)));
    }
    return Fields.envelope(type(), jobId, d);
  }
}
