package org.crawlerhub.protocol;

import java.util.Locale;

/** Error categories of SPEC §3.2. */
public enum ErrorCategory {
  CONNECTION, MESSAGE_PARSING, MESSAGE_VALIDATION, DATABASE, JOB_PROCESSING, AUTHENTICATION,
  RATE_LIMITING, NETWORK, TIMEOUT, RESOURCE, CONFIGURATION, INTERNAL;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static ErrorCategory fromWire(String s) {
    return valueOf(s.toUpperCase(Locale.ROOT));
  }
}
