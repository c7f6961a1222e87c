package org.crawlerhub.config;

import java.util.List;

/**
 * The configuration cannot be used. The message lists every error, one per line, so that an
 * operator fixes them all in one go; the hub exits non-zero with it (SPEC §6).
 */
public final class ConfigException extends RuntimeException {
  private final List<String> errors;
  private final List<String> warnings;

  public ConfigException(List<String> errors, List<String> warnings) {
    super(format(errors));
    this.errors = List.copyOf(errors);
    this.warnings = List.copyOf(warnings);
  }

  /** A single problem, e.g. an unreadable or malformed configuration file. */
  public ConfigException(String error, Throwable cause) {
    super(format(List.of(error)), cause);
    this.errors = List.of(error);
    this.warnings = List.of();
  }

  public List<String> errors() {
    return errors;
  }

  public List<String> warnings() {
    return warnings;
  }

  private static String format(List<String> errors) {
    StringBuilder sb = new StringBuilder("Invalid configuration (")
        .append(errors.size()).append(errors.size() == 1 ? " error):" : " errors):");
    errors.forEach(e -> sb.append(System.lineSeparator()).append("  - ").append(e));
    return sb.toString();
  }
}
