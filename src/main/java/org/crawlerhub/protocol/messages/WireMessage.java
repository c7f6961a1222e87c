package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonObject;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.MessageType;
import org.crawlerhub.protocol.ProtocolException;

/**
 * A typed wire message (SPEC §1.3–1.4). Records are for typed access by handlers; the hot path
 * keeps working on the {@link JsonObject}. Every record keeps the unknown {@code data} members in
 * {@code extras()} and writes them back in {@link #toJson()}.
 */
public sealed interface WireMessage permits Hello, Heartbeat, JobRequest, JobStarted, JobProgress,
    JobCompleted, JobFailed, JobsDiscovered, Discovery, TokenRefreshRequest, JobResponse,
    TokenRefreshResponse, JobAssignment, Shutdown, ErrorMessage, Welcome {

  MessageType type();

  /** The full envelope ({@code type}, {@code timestamp} now, {@code jobId} when set, {@code data}). */
  JsonObject toJson();

  /**
   * The record for a validated envelope of any type.
   *
   * @throws ProtocolException UNKNOWN_TYPE when the type is not a wire type
   */
  static WireMessage from(JsonObject envelope) {
    Object t = envelope.getValue("type");
    MessageType type = t instanceof String s ? MessageType.fromWire(s) : null;
    if (type == null) {
      throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, "type: unknown message type");
    }
    return switch (type) {
      case HELLO -> Hello.from(envelope);
      case HEARTBEAT -> Heartbeat.from(envelope);
      case JOB_REQUEST -> JobRequest.from(envelope);
      case JOB_STARTED -> JobStarted.from(envelope);
      case JOB_PROGRESS -> JobProgress.from(envelope);
      case JOB_COMPLETED -> JobCompleted.from(envelope);
      case JOB_FAILED -> JobFailed.from(envelope);
      case JOBS_DISCOVERED -> JobsDiscovered.from(envelope);
      case DISCOVERY -> Discovery.from(envelope);
      case TOKEN_REFRESH_REQUEST -> TokenRefreshRequest.from(envelope);
      case JOB_RESPONSE -> JobResponse.from(envelope);
      case TOKEN_REFRESH_RESPONSE -> TokenRefreshResponse.from(envelope);
      case JOB_ASSIGNMENT -> JobAssignment.from(envelope);
      case SHUTDOWN -> Shutdown.from(envelope);
      case ERROR -> ErrorMessage.from(envelope);
      case WELCOME -> Welcome.from(envelope);
    };
  }
}
