package org.crawlerhub.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Start-up checks of the configuration (SPEC §6). Errors stop the hub; warnings are logged.
 * Every problem is collected, never just the first, so an operator can fix them all at once.
 *
 * <p>{@link #validateJson(JsonObject)} checks the merged JSON (types, then the semantic rules of
 * {@link #validate(HubConfig)}); it never throws on a wrong type. The TLS checks stat files:
 * call it off the event loop.
 */
public final class ConfigValidator {

  public static final Set<String> PROFILES = Set.of("development", "test", "production");
  public static final Set<String> LOG_LEVELS = Set.of("trace", "debug", "info", "warn", "error");

  static final long MAX_MESSAGE_SIZE_WARNING = 10L * 1024 * 1024;
  /** sun_path is 108 bytes on Linux including the terminating NUL. */
  static final int MAX_UNIX_SOCKET_PATH_BYTES = 107;

  private static final Pattern SOCKET_MODE = Pattern.compile("([r-][w-][x-]){3}");
  private static final Pattern PORT_RANGE = Pattern.compile(":[0-9]+-[0-9]+$");
  private static final Pattern IPV4_LITERAL = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
  /** Keys whose values are secrets (or may embed one): type errors name the type, not the value. */
  private static final Set<String> SECRET_KEYS = Set.of("http.adminToken", "crawlerTokens",
      "database.password", "database.url", "tokenRefresh.url", "alerts.webhookUrl");

  /** Type checks of the merged JSON, then {@link #validate(HubConfig)} of what it describes. */
  public ValidationResult validateJson(JsonObject merged) {
    List<String> errors = new ArrayList<>();
    List<String> warnings = new ArrayList<>();
    JsonObject sane = merged == null ? new JsonObject() : merged.copy();
    checkTypes("", sane, errors, warnings);
    // Values of the wrong type were removed from `sane`, so the record builds on their defaults
    // and the semantic rules still report everything else.
    ValidationResult types = new ValidationResult(errors, warnings);
    HubConfig config;
    try {
      config = HubConfig.fromJson(sane);
    } catch (RuntimeException e) { // e.g. a path with a NUL character
      return types.and(new ValidationResult(List.of("configuration: cannot be built: " + e.getMessage()), List.of()));
    }
    return types.and(validate(config));
  }

  /** Semantic checks of a well-typed configuration. */
  public ValidationResult validate(HubConfig c) {
    List<String> errors = new ArrayList<>();
    List<String> warnings = new ArrayList<>();

    if (c.profile() == null || !PROFILES.contains(c.profile())) {
      errors.add("profile: unknown profile " + quote(c.profile()) + " (expected one of development, test, production)");
    }
    if (c.logLevel() == null || !LOG_LEVELS.contains(c.logLevel().toLowerCase(Locale.ROOT))) {
      errors.add("logLevel: unknown level " + quote(c.logLevel()) + " (expected one of trace, debug, info, warn, error)");
    }

    // Listeners
    if (!c.socketEnabled() && !c.tcpEnabled()) {
      errors.add("socketEnabled/tcpEnabled: neither the Unix socket nor TCP is enabled, crawlers could not connect");
    }
    checkPort("port", c.port(), errors);
    checkPort("http.port", c.http().port(), errors);
    checkPort("cluster.port", c.cluster().port(), errors);
    if (c.dataDir() == null || c.dataDir().isBlank()) {
      errors.add("dataDir: must not be empty");
    }
    if (c.socketPath() == null || c.socketPath().isBlank()) {
      errors.add("socketPath: must be set");
    } else if (!Path.of(c.socketPath()).isAbsolute()) {
      errors.add("socketPath: must be an absolute path, got " + quote(c.socketPath()));
    } else if (c.socketEnabled()
        && c.socketPath().getBytes(StandardCharsets.UTF_8).length > MAX_UNIX_SOCKET_PATH_BYTES) {
      errors.add("socketPath: longer than " + MAX_UNIX_SOCKET_PATH_BYTES + " bytes, the Unix socket limit: "
          + quote(c.socketPath()));
    }
    if (c.socketMode() == null || !SOCKET_MODE.matcher(c.socketMode()).matches()) {
      errors.add("socketMode: must look like rw-rw----, got " + quote(c.socketMode()));
    }
    if (c.tcpEnabled() && c.crawlerTokens().isEmpty()) {
      errors.add("crawlerTokens: TCP is enabled (tcpEnabled) but no crawler tokens are configured (HUB_CRAWLER_TOKENS)");
    }
    if (c.crawlerTokens().stream().anyMatch(String::isBlank)) {
      errors.add("crawlerTokens: must not contain empty tokens");
    }
    if (c.unpublishedMessageTypes().stream().anyMatch(String::isBlank)) {
      errors.add("unpublishedMessageTypes: must not contain empty type names");
    }
    if (c.http().enabled() && !isLoopback(c.http().host()) && c.http().adminToken() == null) {
      errors.add("http.adminToken: required when http.host is not a loopback address (http.host "
          + quote(c.http().host()) + "; set HUB_ADMIN_TOKEN)");
    }
    if (c.tls().enabled()) {
      checkTlsFile("tls.keyPath", c.tls().keyPath(), errors);
      checkTlsFile("tls.certPath", c.tls().certPath(), errors);
    } else if (c.tcpEnabled() && !isLoopback(c.host())) {
      warnings.add("tls.enabled: TCP listens on " + quote(c.host())
          + " without TLS, crawler tokens travel in clear text");
    }
    if (c.cluster().enabled() && c.cluster().members().isEmpty()) {
      errors.add("cluster.members: the cluster is enabled but has no members (HUB_CLUSTER_MEMBERS)");
    }
    c.cluster().members().stream().filter(m -> PORT_RANGE.matcher(m).find()).forEach(m -> errors.add(
        "cluster.members: port ranges are not accepted by the Hazelcast TCP-IP join, list members one by one: "
            + quote(m)));
    String url = c.database().url();
    if (url != null && !url.isBlank() && !(url.startsWith("postgresql://") || url.startsWith("postgres://")
        || url.startsWith("jdbc:postgresql://"))) {
      errors.add("database.url: must start with postgresql://, postgres:// or jdbc:postgresql://, got "
          + quote(HubConfig.maskUrl(url)));
    }

    // Sizes and counts
    atLeast("maxConnections", c.maxConnections(), 1, errors);
    atLeast("maxMessageSize", c.maxMessageSize(), 1, errors);
    atLeast("maxInFlightPerConnection", c.maxInFlightPerConnection(), 1, errors);
    atLeast("maxJobsPerRequest", c.maxJobsPerRequest(), 1, errors);
    atLeast("maxConcurrentJobs", c.maxConcurrentJobs(), 1, errors);
    atLeast("retryAttempts", c.retryAttempts(), 0, errors);
    atLeast("database.poolSize", c.database().poolSize(), 1, errors);
    atLeast("database.writeBufferSize", c.database().writeBufferSize(), 1, errors);
    atLeast("http.maxBodySize", c.http().maxBodySize(), 1, errors);
    atLeast("rateLimit.messagesPerSecond", c.rateLimitMessagesPerSecond(), 0, errors);
    atLeast("alerts.defaultThreshold", c.alerts().defaultThreshold(), 1, errors);
    c.alerts().thresholds().forEach((category, n) -> atLeast("alerts.thresholds." + category, n, 1, errors));
    atLeast("instances.gateway", c.instances().gateway(), HubConfig.AUTO, errors); // 0: one per event loop
    atLeast("instances.router", c.instances().router(), HubConfig.AUTO, errors); // 0: one per event loop
    atLeast("instances.progress", c.instances().progress(), 1, errors);
    atLeast("instances.errors", c.instances().errors(), 1, errors);
    atLeast("instances.eventLoops", c.instances().eventLoops(), HubConfig.AUTO, errors); // 0: one per core

    // Durations (ms). Timer periods must be positive: Vert.x refuses a zero-delay timer.
    atLeast("heartbeatInterval", c.heartbeatInterval(), 1, errors);
    atLeast("heartbeatTimeout", c.heartbeatTimeout(), 1, errors);
    atLeast("leaseCheckInterval", c.leaseCheckInterval(), 1, errors);
    atLeast("progressFlushInterval", c.progressFlushInterval(), 1, errors);
    atLeast("progressPublishInterval", c.progressPublishInterval(), 1, errors);
    Map<String, Long> durations = new java.util.LinkedHashMap<>();
    durations.put("connectionTimeout", c.connectionTimeout());
    durations.put("authTimeout", c.authTimeout());
    durations.put("jobTimeout", c.jobTimeout());
    durations.put("retryDelay", c.retryDelay());
    durations.put("retryMaxDelay", c.retryMaxDelay());
    durations.put("cleanupInterval", c.cleanupInterval());
    durations.put("maxJobAge", c.maxJobAge());
    durations.put("maxErrorLogAge", c.maxErrorLogAge());
    durations.put("shutdownTimeout", c.shutdownTimeout());
    durations.put("leaseGrace", c.leaseGrace());
    durations.put("tokenRefresh.timeout", c.tokenRefresh().timeout());
    durations.put("alerts.window", c.alerts().window());
    durations.put("alerts.cooldown", c.alerts().cooldown());
    durations.forEach((key, ms) -> {
      if (ms < 0) {
        errors.add(key + ": must not be negative, got " + ms);
      }
    });
    if (c.heartbeatInterval() >= c.heartbeatTimeout()) {
      errors.add("heartbeatInterval: must be below heartbeatTimeout (" + c.heartbeatInterval() + " >= "
          + c.heartbeatTimeout() + ")");
    }

    if (c.heartbeatInterval() > 0 && c.heartbeatInterval() < 1000) {
      warnings.add("heartbeatInterval: " + c.heartbeatInterval() + " ms is below 1 s, crawlers will send a lot of heartbeats");
    }
    if (c.connectionTimeout() >= 0 && c.connectionTimeout() < 5000) {
      warnings.add("connectionTimeout: " + c.connectionTimeout() + " ms is below 5 s, slow crawlers may be dropped");
    }
    if (c.maxMessageSize() > MAX_MESSAGE_SIZE_WARNING) {
      warnings.add("maxMessageSize: " + c.maxMessageSize() + " bytes is above 10 MiB, one connection can hold that much memory");
    }
    return new ValidationResult(errors, warnings);
  }

  /** {@code localhost}, 127.0.0.0/8 and ::1. Names other than localhost are not resolved (no DNS at start-up). */
  static boolean isLoopback(String host) {
    if (host == null) {
      return false;
    }
    String h = host.trim();
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (IPV4_LITERAL.matcher(h).matches() || h.contains(":")) {
      try {
        return InetAddress.getByName(h).isLoopbackAddress(); // a literal: parsed, not looked up
      } catch (Exception e) {
        return false;
      }
    }
    return false;
  }

  private static void checkPort(String key, int port, List<String> errors) {
    if (port < 1 || port > 65535) {
      errors.add(key + ": must be between 1 and 65535, got " + port);
    }
  }

  private static void atLeast(String key, long value, long min, List<String> errors) {
    if (value < min) {
      errors.add(key + ": must be at least " + min + ", got " + value);
    }
  }

  private static void checkTlsFile(String key, String path, List<String> errors) {
    if (path == null || path.isBlank()) {
      errors.add(key + ": required when tls.enabled is true");
    } else if (!Files.isRegularFile(Path.of(path)) || !Files.isReadable(Path.of(path))) {
      errors.add(key + ": file not found or not readable: " + quote(path));
    }
  }

  // ---- type checks -------------------------------------------------------------------------

  /** Checks every member of {@code obj}; removes values of the wrong type so defaults apply. */
  private static void checkTypes(String prefix, JsonObject obj, List<String> errors, List<String> warnings) {
    for (String name : new ArrayList<>(obj.fieldNames())) {
      String path = prefix + name;
      Object value = obj.getValue(name);
      ConfigKeys.Key key = ConfigKeys.find(path);
      if (key == null) {
        warnings.add(path + ": unknown key, ignored");
        continue;
      }
      if (value == null) {
        if (!key.nullable()) {
          errors.add(path + ": must not be null");
        }
        obj.remove(name);
        continue;
      }
      String problem = typeProblem(key.type(), value);
      if (problem != null) {
        errors.add(path + ": must be " + key.type().description + ", got "
            + (SECRET_KEYS.contains(path) ? jsonTypeName(value) : describe(value)) + problem);
        obj.remove(name);
        continue;
      }
      switch (key.type()) {
        case OBJECT, INT_MAP, STRING_LIST_MAP -> checkTypes(path + ".", obj.getJsonObject(name), errors, warnings);
        case INT -> obj.put(name, integral(value).intValue()); // e.g. 8080.0 -> 8080
        case LONG -> obj.put(name, integral(value));
        default -> { }
      }
    }
  }

  /** {@code null} when {@code value} fits {@code type}, else a detail to append ("" for none). */
  private static String typeProblem(ConfigKeys.Type type, Object value) {
    switch (type) {
      case STRING:
        return value instanceof String ? null : "";
      case BOOLEAN:
        return value instanceof Boolean ? null : "";
      case INT: {
        Long l = integral(value);
        if (l == null) {
          return "";
        }
        return l == l.intValue() ? null : " (out of range)";
      }
      case LONG:
        return integral(value) == null ? "" : null;
      case STRING_LIST:
        if (value instanceof JsonArray || value instanceof List) {
          JsonArray a = value instanceof JsonArray ja ? ja : new JsonArray((List<?>) value);
          for (Object o : a) {
            if (!(o instanceof String)) {
              return " (every element must be a string)";
            }
          }
          return null;
        }
        return "";
      default: // OBJECT, INT_MAP, STRING_LIST_MAP: members are checked by the recursion
        return value instanceof JsonObject || value instanceof Map ? null : "";
    }
  }

  /** The exact integer a JSON number denotes, or {@code null} (not a number, fractional, too big). */
  private static Long integral(Object value) {
    if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
      return ((Number) value).longValue();
    }
    try {
      if (value instanceof BigInteger b) {
        return b.longValueExact();
      }
      if (value instanceof BigDecimal d) {
        return d.longValueExact();
      }
      if (value instanceof Double || value instanceof Float) {
        double d = ((Number) value).doubleValue();
        return new BigDecimal(d).longValueExact();
      }
    } catch (ArithmeticException | NumberFormatException e) {
      return null;
    }
    return null;
  }

  private static String describe(Object value) {
    if (value instanceof String s) {
      return quote(s);
    }
    if (value instanceof Map<?, ?> m) {
      return new JsonObject(new java.util.LinkedHashMap<>((Map<String, Object>) m)).encode();
    }
    if (value instanceof List<?> l) {
      return new JsonArray(new ArrayList<>(l)).encode();
    }
    if (value instanceof JsonObject o) {
      return o.encode();
    }
    if (value instanceof JsonArray a) {
      return a.encode();
    }
    return String.valueOf(value);
  }

  private static String jsonTypeName(Object value) {
    if (value instanceof String) {
      return "a string";
    }
    if (value instanceof Number) {
      return "a number";
    }
    if (value instanceof Boolean) {
      return "a boolean";
    }
    if (value instanceof JsonArray || value instanceof List) {
      return "an array";
    }
    return "an object";
  }

  private static String quote(String s) {
    return s == null ? "null" : "\"" + s + "\"";
  }
}
