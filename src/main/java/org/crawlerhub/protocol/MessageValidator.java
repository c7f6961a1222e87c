package org.crawlerhub.protocol;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Envelope and schema validation of inbound messages (SPEC §1.2–1.3, §1.5 order). Reports every
 * field at fault with its path, e.g. {@code data.processed: required number}.
 */
public final class MessageValidator {
  private MessageValidator() {}

  /**
   * Validates a normalised envelope (see {@link ProtocolCodec#decode}).
   *
   * @throws ProtocolException MISSING_JOB_ID or VALIDATION_FAILED naming every field at fault
   */
  public static void validateInbound(JsonObject msg) {
    MessageType type = MessageType.fromWire(msg.getString("type"));
    String jobId = msg.getValue("jobId") instanceof String s ? s : null;
    List<String> faults = new ArrayList<>();
    if (!(msg.getValue("timestamp") instanceof String)) {
      faults.add(msg.containsKey("timestamp") ? "timestamp: must be a string" : "timestamp: required string");
    }
    if (!(msg.getValue("data") instanceof JsonObject)) {
      faults.add(msg.containsKey("data") ? "data: must be an object" : "data: required object");
    }
    if (msg.containsKey("jobId") && !(msg.getValue("jobId") instanceof String)) {
      faults.add("jobId: must be a string");
    }
    if (requiresJobId(type) && !msg.containsKey("jobId")) {
      throw new ProtocolException(ErrorCode.MISSING_JOB_ID, "jobId: required for " + type.wire(),
          type.wire(), null);
    }
    if (!faults.isEmpty()) {
      throw new ProtocolException(ErrorCode.VALIDATION_FAILED, String.join("; ", faults), type.wire(), jobId);
    }
  }

  /** Types whose envelope requires a jobId (SPEC §1.3). */
  public static boolean requiresJobId(MessageType type) {
    return switch (type) {
      case JOB_STARTED, JOB_PROGRESS, JOB_COMPLETED, JOB_FAILED, JOBS_DISCOVERED, TOKEN_REFRESH_REQUEST -> true;
      default -> false;
    };
  }

  /**
   * Validates a hub->crawler message before it is written.
   *
   * @throws ProtocolException VALIDATION_FAILED / UNKNOWN_TYPE naming every field at fault
   */
  public static void validateOutbound(JsonObject msg) {
    Object t = msg.getValue("type");
    MessageType type = t instanceof String s ? MessageType.fromWire(s) : null;
    if (type == null || type.inbound()) {
      throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, "type: not a hub->crawler message type: " + t);
    }
    if (!(msg.getValue("data") instanceof JsonObject)) {
      throw new ProtocolException(ErrorCode.VALIDATION_FAILED, "data: required object", type.wire(), null);
    }
  }
}
