package org.crawlerhub.router;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.ProtocolException;

/**
 * What a {@link MessageHandler} made of a message.
 *
 * <p>{@code data} may carry {@code "frames"}: hub->crawler messages the router sends back to the
 * crawler in order. On success they are the whole reply; on rejection they precede the single
 * {@code error} frame the router makes from {@code error} (handlers never format error frames).
 * {@code shouldRetry}/{@code retryAfter} tell the error manager the failure is transient.
 *
 * @param success true when the message was accepted
 * @param data optional result data, e.g. {@code {"frames":[...]}}
 * @param error why the message was rejected (null on success)
 * @param shouldRetry true when the rejection is transient (e.g. a service was unavailable)
 * @param retryAfter suggested delay before a retry, or null
 */
public record HandlerResult(boolean success, JsonObject data, ProtocolException error,
    boolean shouldRetry, Duration retryAfter) {

  private static final HandlerResult ACCEPTED = new HandlerResult(true, null, null, false, null);
  private static final Future<HandlerResult> ACCEPTED_FUTURE = Future.succeededFuture(ACCEPTED);

  /** Accepted, nothing to send back. */
  public static HandlerResult accepted() {
    return ACCEPTED;
  }

  /** An already completed future of {@link #accepted()} (shared, allocation-free). */
  public static Future<HandlerResult> acceptedFuture() {
    return ACCEPTED_FUTURE;
  }

  /** Accepted; these frames are written back to the crawler in order. */
  public static HandlerResult accepted(JsonArray frames) {
    return new HandlerResult(true, new JsonObject().put("frames", frames), null, false, null);
  }

  /** Accepted with arbitrary result data (its {@code frames}, if any, are sent back). */
  public static HandlerResult acceptedWith(JsonObject data) {
    return new HandlerResult(true, data, null, false, null);
  }

  public static HandlerResult rejected(ProtocolException error) {
    return new HandlerResult(false, null, error, false, null);
  }

  public static HandlerResult rejected(ErrorCode code, String message) {
    return rejected(new ProtocolException(code, message));
  }

  /** Rejected; {@code frames} are sent before the error frame (e.g. an empty job_response). */
  public static HandlerResult rejected(ProtocolException error, JsonArray frames) {
    return new HandlerResult(false, frames == null ? null : new JsonObject().put("frames", frames),
        error, false, null);
  }

  /** This result marked as transient: worth retrying after {@code delay} (null = unknown). */
  public HandlerResult retryable(Duration delay) {
    return new HandlerResult(success, data, error, true, delay);
  }

  /** The frames to send back, or null when there are none. */
  public JsonArray frames() {
    return data != null && data.getValue("frames") instanceof JsonArray a ? a : null;
  }
}
