package org.crawlerhub.errors;

import org.crawlerhub.config.HubConfig;

/**
 * THE retry policy for failed jobs (SPEC §3.2): a recoverable failure with attempts left is
 * retried after {@code retryDelay × 2^(attempt-1)}, capped at {@code retryMaxDelay}; anything
 * else is dead. Pure, so the jobs verticle and tests can ask it the same question.
 */
public final class RetryPolicy {
  public static final String RETRY = "retry";
  public static final String DEAD = "dead";

  /** What to do with a failed job: {@code retry} after {@code delayMs}, or {@code dead}. */
  public record Decision(String action, long delayMs) {
    public boolean retry() {
      return RETRY.equals(action);
    }
  }

  private final long baseDelayMs;
  private final long maxDelayMs;
  private final int defaultMaxAttempts;

  public RetryPolicy(long baseDelayMs, long maxDelayMs, int defaultMaxAttempts) {
    this.baseDelayMs = Math.max(0, baseDelayMs);
    this.maxDelayMs = Math.max(this.baseDelayMs, maxDelayMs);
    this.defaultMaxAttempts = defaultMaxAttempts;
  }

  public static RetryPolicy from(HubConfig cfg) {
    return new RetryPolicy(cfg.retryDelay(), cfg.retryMaxDelay(), cfg.retryAttempts() + 1);
  }

  /**
   * @param attempt the attempt that failed (1-based)
   * @param maxAttempts the job's bound, or {@code <= 0} for the configured default
   */
  public Decision decide(boolean recoverable, int attempt, int maxAttempts) {
    int max = maxAttempts > 0 ? maxAttempts : defaultMaxAttempts;
    if (recoverable && attempt < max) {
      return new Decision(RETRY, delayFor(attempt));
    }
    return new Decision(DEAD, 0);
  }

  /** Backoff before the attempt after {@code attempt}: base × 2^(attempt-1), capped, overflow-safe. */
  public long delayFor(int attempt) {
    int exp = Math.max(0, attempt - 1);
    if (baseDelayMs == 0) {
      return 0;
    }
    if (exp >= 62 || baseDelayMs > (maxDelayMs >> exp)) {
      return maxDelayMs;
    }
    return Math.min(maxDelayMs, baseDelayMs << exp);
  }
}
