package org.crawlerhub.sim;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * {@code --key=value} command-line options of the simulator tools. A bare {@code --flag} means
 * {@code true}. Unknown keys are an error (a typo must not silently run the default workload).
 */
public final class CliArgs {
  private final Map<String, String> values = new LinkedHashMap<>();
  private final Set<String> read = new TreeSet<>();

  private CliArgs() {}

  public static CliArgs parse(String... args) {
    CliArgs a = new CliArgs();
    for (String arg : args) {
      if (!arg.startsWith("--") || arg.length() < 3) {
        throw new IllegalArgumentException("expected --key=value, got '" + arg + "'");
      }
      int eq = arg.indexOf('=');
      if (eq < 0) {
        a.values.put(arg.substring(2), "true");
      } else {
        a.values.put(arg.substring(2, eq), arg.substring(eq + 1));
      }
    }
    return a;
  }

  public boolean has(String key) {
    read.add(key);
    return values.containsKey(key);
  }

  public String string(String key, String def) {
    read.add(key);
    String v = values.get(key);
    return v == null || v.isEmpty() ? def : v;
  }

  public int integer(String key, int def) {
    String v = string(key, null);
    return v == null ? def : Integer.parseInt(v.replace("_", ""));
  }

  public long longValue(String key, long def) {
    String v = string(key, null);
    return v == null ? def : Long.parseLong(v.replace("_", ""));
  }

  public double decimal(String key, double def) {
    String v = string(key, null);
    return v == null ? def : Double.parseDouble(v);
  }

  public boolean bool(String key, boolean def) {
    String v = string(key, null);
    return v == null ? def : Boolean.parseBoolean(v);
  }

  /** Fails when an option was given that no reader asked for. Call after reading every option. */
  public void rejectUnknown() {
    Set<String> unknown = new TreeSet<>(values.keySet());
    unknown.removeAll(read);
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException("unknown option(s): --" + String.join(", --", unknown));
    }
  }
}
