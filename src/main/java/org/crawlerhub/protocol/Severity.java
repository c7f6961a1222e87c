package org.crawlerhub.protocol;

import java.util.Locale;

/** Error severities of SPEC §3.2, lowest first. */
public enum Severity {
  LOW, MEDIUM, HIGH, CRITICAL;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Severity fromWire(String s) {
    return valueOf(s.toUpperCase(Locale.ROOT));
  }
}
