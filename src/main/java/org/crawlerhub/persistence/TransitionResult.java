package org.crawlerhub.persistence;

import org.crawlerhub.protocol.ErrorCode;

/**
 * What became of a {@link Transition}: applied now, found already applied (a replay), or rejected
 * because the row no longer matches (then {@code code} says why and {@code status}, {@code owner},
 * {@code attempt} describe the row as it is, {@code status == null} when the job does not exist).
 */
public record TransitionResult(boolean applied, boolean replayed, int maxAttempts, ErrorCode code,
    String message, String status, String owner, int attempt) {

  public static TransitionResult applied(int maxAttempts, boolean replayed) {
    return new TransitionResult(true, replayed, maxAttempts, null, null, null, null, 0);
  }

  public static TransitionResult rejected(ErrorCode code, String message, String status, String owner, int attempt) {
    return new TransitionResult(false, false, 0, code, message, status, owner, attempt);
  }
}
