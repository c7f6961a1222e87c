package org.crawlerhub.protocol;

/**
 * Wire error codes of SPEC §1.5, each with the error category and severity it maps to. This enum
 * is the ONE mapping from a rejection to (wire code, category, severity, whether the connection
 * closes); everything else asks it.
 */
public enum ErrorCode {
  INVALID_JSON(ErrorCategory.MESSAGE_PARSING, Severity.LOW, false),
  NOT_AN_OBJECT(ErrorCategory.MESSAGE_PARSING, Severity.LOW, false),
  UNKNOWN_TYPE(ErrorCategory.MESSAGE_VALIDATION, Severity.LOW, false),
  VALIDATION_FAILED(ErrorCategory.MESSAGE_VALIDATION, Severity.LOW, false),
  MISSING_JOB_ID(ErrorCategory.MESSAGE_VALIDATION, Severity.LOW, false),
  UNKNOWN_JOB(ErrorCategory.JOB_PROCESSING, Severity.MEDIUM, false),
  STALE_LEASE(ErrorCategory.JOB_PROCESSING, Severity.MEDIUM, false),
  ILLEGAL_TRANSITION(ErrorCategory.JOB_PROCESSING, Severity.MEDIUM, false),
  MESSAGE_TOO_LARGE(ErrorCategory.MESSAGE_PARSING, Severity.MEDIUM, true),
  UNAUTHENTICATED(ErrorCategory.AUTHENTICATION, Severity.HIGH, true),
  RATE_LIMITED(ErrorCategory.RATE_LIMITING, Severity.LOW, false),
  OVERLOADED(ErrorCategory.RESOURCE, Severity.HIGH, true),
  SUPERSEDED(ErrorCategory.CONNECTION, Severity.LOW, true),
  INTERNAL(ErrorCategory.INTERNAL, Severity.HIGH, false);

  private final ErrorCategory category;
  private final Severity severity;
  private final boolean closesConnection;

  ErrorCode(ErrorCategory category, Severity severity, boolean closesConnection) {
    this.category = category;
    this.severity = severity;
    this.closesConnection = closesConnection;
  }

  public ErrorCategory category() {
    return category;
  }

  public Severity severity() {
    return severity;
  }

  /** True when the hub closes the connection after sending this error (SPEC §1.5). */
  public boolean closesConnection() {
    return closesConnection;
  }

  /** Parses a code name; unknown names map to {@link #INTERNAL}. */
  public static ErrorCode parse(String name) {
    if (name == null) {
      return INTERNAL;
    }
    try {
      return valueOf(name);
    } catch (IllegalArgumentException e) {
      return INTERNAL;
    }
  }
}
