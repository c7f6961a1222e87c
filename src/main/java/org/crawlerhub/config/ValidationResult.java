package org.crawlerhub.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Outcome of configuration validation: errors stop the hub, warnings are logged. Each entry reads
 * {@code "<key>: <problem>"}.
 */
public record ValidationResult(List<String> errors, List<String> warnings) {

  public ValidationResult {
    errors = List.copyOf(errors);
    warnings = List.copyOf(warnings);
  }

  public static ValidationResult ok() {
    return new ValidationResult(List.of(), List.of());
  }

  public boolean hasErrors() {
    return !errors.isEmpty();
  }

  /** Both results' problems, this one's first. */
  public ValidationResult and(ValidationResult other) {
    List<String> e = new ArrayList<>(errors);
    e.addAll(other.errors);
    List<String> w = new ArrayList<>(warnings);
    w.addAll(other.warnings);
    return new ValidationResult(e, w);
  }

  /** Throws a {@link ConfigException} listing every error when there is at least one. */
  public void throwIfErrors() {
    if (hasErrors()) {
      throw new ConfigException(errors, warnings);
    }
  }
}
