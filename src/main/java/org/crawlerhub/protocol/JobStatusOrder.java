package org.crawlerhub.protocol;

/**
 * The order of the states one job goes through (SPEC §2.1). Every move back to {@code queued}
 * starts a new attempt (lease expiry, retry, API retry), so (attempt, rank) orders them all. Moves
 * reported over different connections or nodes can arrive in either order; this tells a late
 * report from a newer one.
 */
public final class JobStatusOrder {
  private JobStatusOrder() {}

  /** Order within one attempt: queued < assigned < running < failed < completed|cancelled|dead; -1 if unknown. */
  public static int rank(String status) {
    if (status == null) {
      return -1;
    }
    return switch (status) {
      case "queued" -> 0;
      case "assigned" -> 1;
      case "running" -> 2;
      case "failed" -> 3;
      case "completed", "cancelled", "dead" -> 4;
      default -> -1;
    };
  }

  /** Whether the state (attempt, status) comes after (knownAttempt, knownStatus). */
  public static boolean isNewer(int attempt, String status, int knownAttempt, String knownStatus) {
    return attempt > knownAttempt || (attempt == knownAttempt && rank(status) > rank(knownStatus));
  }
}
