package org.crawlerhub.protocol;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * Factories for hub->crawler frames (SPEC §1.4), and THE mapper from a failure to an
 * {@code error} frame ({@link #errorFrom}).
 */
public final class Frames {
  private Frames() {}

  public static String now() {
    return Instant.now().toString();
  }

  private static JsonObject frame(MessageType type, String jobId, JsonObject data) {
    JsonObject f = new JsonObject().put("type", type.wire()).put("timestamp", now());
    if (jobId != null) {
      f.put("jobId", jobId);
    }
    return f.put("data", data);
  }

  public static JsonObject error(ErrorCode code, String message, String refType, String jobId) {
    JsonObject data = new JsonObject().put("code", code.name()).put("message", message);
    if (refType != null) {
      data.put("refType", refType);
    }
    return frame(MessageType.ERROR, jobId, data);
  }

  /** The one mapping from any failure to the wire error code (SPEC §1.5). */
  public static ProtocolException toProtocolException(Throwable t) {
    if (t instanceof ProtocolException pe) {
      return pe;
    }
    if (t instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
      String msg = String.valueOf(re.getMessage());
      int colon = msg.indexOf(':');
      if (colon > 0) {
        ErrorCode c = ErrorCode.parse(msg.substring(0, colon).trim());
        if (c != ErrorCode.INTERNAL || msg.startsWith("INTERNAL")) {
          return new ProtocolException(c, msg.substring(colon + 1).trim());
        }
      }
      return new ProtocolException(ErrorCode.INTERNAL, "internal error: " + msg);
    }
    if (t instanceof ReplyException re) {
      return new ProtocolException(ErrorCode.INTERNAL, "service unavailable (" + re.failureType()
          .name().toLowerCase() + ")");
    }
    return new ProtocolException(ErrorCode.INTERNAL, "internal error: " + t.getClass().getSimpleName());
  }

  public static JsonObject errorFrom(Throwable t, String refType, String jobId) {
    ProtocolException pe = toProtocolException(t);
    return error(pe.code(), pe.getMessage(), pe.refType() != null ? pe.refType() : refType,
        pe.jobId() != null ? pe.jobId() : jobId);
  }

  public static JsonObject jobResponse(JsonArray jobs) {
    return frame(MessageType.JOB_RESPONSE, null, new JsonObject().put("jobs", jobs));
  }

  public static JsonObject tokenRefreshResponse(String jobId, String accessToken, boolean ok,
      String expiresAt, String error) {
    JsonObject d = new JsonObject().put("accessToken", accessToken == null ? "" : accessToken)
        .put("refreshSuccessful", ok);
    if (expiresAt != null) {
      d.put("expiresAt", expiresAt);
    }
    if (error != null) {
      d.put("error", error);
    }
    return frame(MessageType.TOKEN_REFRESH_RESPONSE, jobId, d);
  }

  public static JsonObject shutdown(boolean graceful, long timeoutSeconds, String reason) {
    JsonObject d = new JsonObject().put("graceful", graceful).put("timeout_seconds", timeoutSeconds);
    if (reason != null) {
      d.put("reason", reason);
    }
    return frame(MessageType.SHUTDOWN, null, d);
  }

  public static JsonObject welcome(String crawlerId, String nodeId, long heartbeatInterval,
      long heartbeatTimeout, int maxMessageSize, int maxJobsPerRequest) {
    return frame(MessageType.WELCOME, null, new JsonObject()
        .put("crawlerId", crawlerId).put("nodeId", nodeId).put("protocolVersion", 1)
        .put("heartbeatInterval", heartbeatInterval).put("heartbeatTimeout", heartbeatTimeout)
        .put("maxMessageSize", maxMessageSize).put("maxJobsPerRequest", maxJobsPerRequest));
  }
}
