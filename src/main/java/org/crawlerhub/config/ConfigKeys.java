package org.crawlerhub.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every configuration key {@link HubConfig#fromJson} reads, with its JSON type, plus the SPEC §6
 * environment-variable mapping. One table so that type checks, string conversion (environment,
 * system properties) and the unknown-key warning cannot drift apart.
 */
final class ConfigKeys {

  /** JSON shape of a key. */
  enum Type {
    STRING("a string"),
    INT("an integer (32-bit)"),
    LONG("an integer"),
    BOOLEAN("a boolean"),
    STRING_LIST("an array of strings"),
    /** Object whose members are integers (alerts.thresholds). */
    INT_MAP("an object of integers"),
    /** Object whose members are arrays of strings (discovery.fanOut). */
    STRING_LIST_MAP("an object of string arrays"),
    OBJECT("an object");

    final String description;

    Type(String description) {
      this.description = description;
    }
  }

  /** A key: dotted path, type, and whether JSON {@code null} (= unset) is acceptable. */
  record Key(String path, Type type, boolean nullable) {}

  private static final Map<String, Key> KEYS = new LinkedHashMap<>();

  static {
    // Optional strings: no built-in value, or one derived in HubConfig.fromJson.
    for (String p : List.of("nodeId", "socketPath", "database.url", "database.user", "database.password",
        "database.embeddedDir", "http.adminToken", "tls.keyPath", "tls.certPath", "tokenRefresh.url",
        "alerts.webhookUrl")) {
      key(p, Type.STRING, true);
    }
    for (String p : List.of("profile", "dataDir", "socketMode", "host", "logLevel", "http.host",
        "cluster.host")) {
      key(p, Type.STRING, false);
    }
    for (String p : List.of("port", "maxConnections", "maxMessageSize", "maxInFlightPerConnection",
        "maxJobsPerRequest", "maxConcurrentJobs", "retryAttempts", "database.poolSize",
        "database.writeBufferSize", "http.port", "cluster.port", "rateLimit.messagesPerSecond",
        "alerts.defaultThreshold", "instances.gateway", "instances.router", "instances.progress",
        "instances.errors", "instances.eventLoops")) {
      key(p, Type.INT, false);
    }
    for (String p : List.of("connectionTimeout", "heartbeatInterval", "heartbeatTimeout", "authTimeout",
        "jobTimeout", "retryDelay", "retryMaxDelay", "http.maxBodySize", "cleanupInterval", "maxJobAge",
        "maxErrorLogAge", "shutdownTimeout", "leaseCheckInterval", "progressFlushInterval",
        "progressPublishInterval", "tokenRefresh.timeout", "alerts.window", "alerts.cooldown")) {
      key(p, Type.LONG, false);
    }
    key("leaseGrace", Type.LONG, true); // unset = heartbeatTimeout
    key("database.embedded", Type.BOOLEAN, true); // unset = no database.url
    for (String p : List.of("socketEnabled", "tcpEnabled", "enableMetrics", "nativeTransport", "http.enabled", "tls.enabled",
        "cluster.enabled")) {
      key(p, Type.BOOLEAN, false);
    }
    key("crawlerTokens", Type.STRING_LIST, false);
    key("unpublishedMessageTypes", Type.STRING_LIST, false);
    key("cluster.members", Type.STRING_LIST, false);
    key("discovery.fanOut", Type.STRING_LIST_MAP, false);
    key("alerts.thresholds", Type.INT_MAP, false);
    for (String p : List.of("database", "http", "tls", "cluster", "discovery", "rateLimit", "tokenRefresh",
        "alerts", "instances")) {
      key(p, Type.OBJECT, false);
    }
  }

  /** SPEC §6 environment variables (plus HTTP_HOST) and the key each one sets. */
  static final Map<String, String> ENV;

  static {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("SOCKET_PATH", "socketPath");
    env.put("SOCKET_HOST", "host");
    env.put("SOCKET_PORT", "port");
    env.put("SOCKET_MAX_CONNECTIONS", "maxConnections");
    env.put("SOCKET_HEARTBEAT_INTERVAL", "heartbeatInterval");
    env.put("SOCKET_HEARTBEAT_TIMEOUT", "heartbeatTimeout");
    env.put("SOCKET_MAX_MESSAGE_SIZE", "maxMessageSize");
    env.put("SOCKET_LOG_LEVEL", "logLevel");
    env.put("SOCKET_MAX_CONCURRENT_JOBS", "maxConcurrentJobs");
    env.put("DATABASE_URL", "database.url");
    env.put("HTTP_PORT", "http.port");
    env.put("HTTP_HOST", "http.host");
    env.put("HUB_ADMIN_TOKEN", "http.adminToken");
    env.put("HUB_CRAWLER_TOKENS", "crawlerTokens");
    env.put("HUB_CLUSTER", "cluster.enabled");
    env.put("HUB_CLUSTER_MEMBERS", "cluster.members");
    env.put("HUB_RETRY_DELAY", "retryDelay");
    env.put("HUB_LEASE_GRACE", "leaseGrace");
    env.put("HUB_DATA_DIR", "dataDir");
    env.put("HUB_NATIVE_TRANSPORT", "nativeTransport");
    env.put("HUB_EVENT_LOOPS", "instances.eventLoops");
    env.put("HUB_UNPUBLISHED_MESSAGE_TYPES", "unpublishedMessageTypes");
    env.put("TCP_ENABLED", "tcpEnabled");
    ENV = Collections.unmodifiableMap(env);
  }

  private ConfigKeys() {
  }

  private static void key(String path, Type type, boolean nullable) {
    KEYS.put(path, new Key(path, type, nullable));
  }

  static Map<String, Key> all() {
    return Collections.unmodifiableMap(KEYS);
  }

  /**
   * The key at {@code path}, or {@code null} when unknown. Members of the two free-form maps
   * ({@code alerts.thresholds.<category>}, {@code discovery.fanOut.<jobType>}) get their element type.
   */
  static Key find(String path) {
    Key k = KEYS.get(path);
    if (k != null) {
      return k;
    }
    int dot = path.lastIndexOf('.');
    if (dot > 0) {
      Key parent = KEYS.get(path.substring(0, dot));
      if (parent != null && parent.type() == Type.INT_MAP) {
        return new Key(path, Type.INT, false);
      }
      if (parent != null && parent.type() == Type.STRING_LIST_MAP) {
        return new Key(path, Type.STRING_LIST, false);
      }
    }
    return null;
  }

  /**
   * Converts a string from the environment or a system property to the key's JSON type. A value
   * that does not parse is returned unchanged, so that validation reports it against the key.
   */
  static Object convert(String path, String raw) {
    Key key = find(path);
    Type type = key == null ? Type.STRING : key.type();
    String v = raw.trim();
    switch (type) {
      case INT:
      case LONG:
        try {
          long l = Long.parseLong(v);
          return l == (int) l ? Integer.valueOf((int) l) : Long.valueOf(l);
        } catch (NumberFormatException e) {
          return raw;
        }
      case BOOLEAN:
        switch (v.toLowerCase(java.util.Locale.ROOT)) {
          case "true": case "1": case "yes": case "on":
            return Boolean.TRUE;
          case "false": case "0": case "no": case "off":
            return Boolean.FALSE;
          default:
            return raw;
        }
      case STRING_LIST:
        if (v.startsWith("[")) {
          try {
            return new JsonArray(v);
          } catch (RuntimeException e) {
            return raw;
          }
        }
        JsonArray a = new JsonArray();
        for (String part : v.split(",")) {
          if (!part.isBlank()) {
            a.add(part.trim());
          }
        }
        return a;
      case INT_MAP:
      case STRING_LIST_MAP:
      case OBJECT:
        try {
          return new JsonObject(v);
        } catch (RuntimeException e) {
          return raw;
        }
      default:
        return raw;
    }
  }
}
