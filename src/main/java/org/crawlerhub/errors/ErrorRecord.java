package org.crawlerhub.errors;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import org.crawlerhub.protocol.ErrorCategory;
import org.crawlerhub.protocol.Severity;

/** One classified error (SPEC §3.2), as published on {@code hub.errors} and stored in {@code job_errors}. */
public record ErrorRecord(String id, Instant timestamp, ErrorCategory category, Severity severity, String code,
    String message, String crawlerId, String connectionId, String jobId, String nodeId, String source,
    boolean retryable, JsonObject details) {

  public JsonObject toJson() {
    JsonObject j = new JsonObject().put("id", id).put("timestamp", timestamp.toString())
        .put("category", category.wire()).put("severity", severity.wire()).put("code", code)
        .put("message", message).put("crawlerId", crawlerId).put("connectionId", connectionId)
        .put("jobId", jobId).put("nodeId", nodeId).put("retryable", retryable);
    if (source != null) {
      j.put("source", source);
    }
    j.put("details", details == null ? new JsonObject() : details);
    return j;
  }
}
