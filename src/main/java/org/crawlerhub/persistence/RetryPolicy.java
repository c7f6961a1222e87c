package org.crawlerhub.persistence;

import io.vertx.core.json.JsonObject;
import org.crawlerhub.config.HubConfig;

/**
 * The default retry decision for a failed job (SPEC §3.2): exponential backoff
 * {@code retryDelay × 2^(attempt-1)} capped at {@code retryMaxDelay}; a job that is not
 * recoverable, or whose attempt is already {@code >= maxAttempts}, is dead. Pure: no I/O, no clock.
 * The error manager applies it to {@code hub.job.events} with {@code to = "failed"} and sends
 * {@link Decision#toRequest} to {@code hub.jobs.retry-policy}. It lives in {@code persistence}
 * because {@code errors} may import that package but not {@code jobs}.
 */
public record RetryPolicy(long retryDelayMs, long retryMaxDelayMs) {

  public RetryPolicy {
    if (retryDelayMs < 0 || retryMaxDelayMs < 0) {
      throw new IllegalArgumentException("retry delays must not be negative");
    }
  }

  public static RetryPolicy from(HubConfig cfg) {
    return new RetryPolicy(cfg.retryDelay(), cfg.retryMaxDelay());
  }

  /** A decision: {@code action} is {@code "retry"} (after {@code delayMs}) or {@code "dead"}. */
  public record Decision(String action, long delayMs) {
    public static final String RETRY = "retry";
    public static final String DEAD = "dead";

    public boolean retry() {
      return RETRY.equals(action);
    }

    /** The body for {@code hub.jobs.retry-policy}. */
    public JsonObject toRequest(String jobId, int attempt) {
      JsonObject o = new JsonObject().put("jobId", jobId).put("attempt", attempt).put("action", action);
      if (retry()) {
        o.put("delayMs", delayMs);
      }
      return o;
    }
  }

  /** Backoff before attempt {@code attempt + 1}: retryDelay × 2^(attempt-1), capped, overflow-safe. */
  public long delayFor(int attempt) {
    int exp = Math.max(0, attempt - 1);
    if (retryDelayMs == 0) {
      return 0;
    }
    if (exp >= 62 || retryDelayMs > (retryMaxDelayMs >> Math.min(exp, 62))) {
      return retryMaxDelayMs;
    }
    return Math.min(retryMaxDelayMs, retryDelayMs << exp);
  }

  public Decision decide(boolean recoverable, int attempt, int maxAttempts) {
    if (!recoverable || attempt >= maxAttempts) {
      return new Decision(Decision.DEAD, 0);
    }
    return new Decision(Decision.RETRY, delayFor(attempt));
  }

  /** Decides for a {@code hub.job.events} body with {@code to = "failed"} ({@code details.recoverable}). */
  public Decision decide(JsonObject failedEvent) {
    JsonObject details = failedEvent.getJsonObject("details", new JsonObject());
    return decide(details.getBoolean("recoverable", true), failedEvent.getInteger("attempt", 1),
        failedEvent.getInteger("maxAttempts", 1));
  }
}
