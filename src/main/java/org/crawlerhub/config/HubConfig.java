package org.crawlerhub.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The hub's configuration (SPEC §6) as one immutable record, built once from the merged
 * vertx-config JSON by {@link #fromJson(JsonObject)} and handed to every verticle. Durations are
 * milliseconds. {@link #toJson()} gives the same keys back; {@link #toMaskedJson()} hides secrets.
 */
public record HubConfig(
    String profile,
    String nodeId,
    String dataDir,
    String socketPath,
    String socketMode,
    boolean socketEnabled,
    String host,
    int port,
    boolean tcpEnabled,
    int maxConnections,
    long connectionTimeout,
    int maxMessageSize,
    long heartbeatInterval,
    long heartbeatTimeout,
    long authTimeout,
    int maxInFlightPerConnection,
    int maxJobsPerRequest,
    int maxConcurrentJobs,
    long jobTimeout,
    int retryAttempts,
    long retryDelay,
    long retryMaxDelay,
    String logLevel,
    boolean enableMetrics,
    boolean nativeTransport,
    List<String> unpublishedMessageTypes,
    Database database,
    Http http,
    List<String> crawlerTokens,
    Tls tls,
    Cluster cluster,
    Map<String, List<String>> discoveryFanOut,
    long cleanupInterval,
    long maxJobAge,
    long maxErrorLogAge,
    long shutdownTimeout,
    long leaseGrace,
    long leaseCheckInterval,
    long progressFlushInterval,
    long progressPublishInterval,
    int rateLimitMessagesPerSecond,
    TokenRefresh tokenRefresh,
    Alerts alerts,
    Instances instances) {

  public record Database(String url, int poolSize, String user, String password, boolean embedded,
      String embeddedDir, int writeBufferSize) {
    @Override
    public String toString() {
      return "Database" + maskDatabase(toJson()).encode();
    }

    JsonObject toJson() {
      return new JsonObject().put("url", url).put("poolSize", poolSize).put("user", user)
          .put("password", password).put("embedded", embedded).put("embeddedDir", embeddedDir)
          .put("writeBufferSize", writeBufferSize);
    }
  }

  public record Http(boolean enabled, int port, String host, String adminToken, long maxBodySize) {
    @Override
    public String toString() {
      return "Http" + maskHttp(toJson()).encode();
    }

    JsonObject toJson() {
      return new JsonObject().put("enabled", enabled).put("port", port).put("host", host)
          .put("adminToken", adminToken).put("maxBodySize", maxBodySize);
    }
  }

  public record Tls(boolean enabled, String keyPath, String certPath) {
    JsonObject toJson() {
      return new JsonObject().put("enabled", enabled).put("keyPath", keyPath).put("certPath", certPath);
    }
  }

  public record Cluster(boolean enabled, String host, int port, List<String> members) {
    JsonObject toJson() {
      return new JsonObject().put("enabled", enabled).put("host", host).put("port", port)
          .put("members", new JsonArray(new ArrayList<>(members)));
    }
  }

  public record TokenRefresh(String url, long timeout) {
    @Override
    public String toString() {
      return "TokenRefresh" + maskUrlField(toJson(), "url").encode();
    }

    JsonObject toJson() {
      return new JsonObject().put("url", url).put("timeout", timeout);
    }
  }

  /** Alerting: per-category thresholds (errors per window), window and cool-down. */
  public record Alerts(String webhookUrl, long window, long cooldown, int defaultThreshold,
      Map<String, Integer> thresholds) {
    @Override
    public String toString() {
      return "Alerts" + maskUrlField(toJson(), "webhookUrl").encode();
    }

    JsonObject toJson() {
      JsonObject t = new JsonObject();
      thresholds.forEach(t::put);
      return new JsonObject().put("webhookUrl", webhookUrl).put("window", window)
          .put("cooldown", cooldown).put("defaultThreshold", defaultThreshold).put("thresholds", t);
    }
  }

  /** Verticle instance counts (each scales across event loops independently). */
  /**
   * {@code instances.gateway} / {@code instances.router} value meaning "chosen by the hub at start":
   * a gateway and a router partition per event loop ({@link Instances#resolved}).
   */
  public static final int AUTO = 0;

  /**
   * Verticle instances and threads. {@code eventLoops}: the Vert.x event-loop threads; {@link #AUTO}
   * = one per core ({@link Runtime#availableProcessors()}), not Vert.x's default of two per core:
   * the hub's loops never block (PostgreSQL and the aggregator are elsewhere), and on two cores two
   * loops instead of four gave a lower one-way p99, the same ingest rate and less idle CPU
   * (bench/RESULTS.md, session 12).
   */
  public record Instances(int gateway, int router, int progress, int errors, int eventLoops) {
    /** The event-loop pool size to start Vert.x with. */
    public int eventLoopPoolSize() {
      return eventLoops == AUTO ? Math.max(1, Runtime.getRuntime().availableProcessors()) : eventLoops;
    }

    /**
     * {@link #AUTO} replaced: one gateway and one router partition per event loop, so each gateway
     * instance finds a partition on its own event loop and hands its connections' messages over
     * without leaving the thread. (One gateway per event loop rather than per core: an event loop
     * answers a read only after routing its whole I/O pass, so fewer connections per loop answer
     * sooner — bench/latency.sh p50 0.67–0.72 ms against 1.07–1.20 with one per core, the same
     * throughput and idle CPU.)
     */
    public Instances resolved(int eventLoops) {
      return new Instances(gateway == AUTO ? Math.max(1, eventLoops) : gateway,
          router == AUTO ? Math.max(1, eventLoops) : router, progress, errors, Math.max(1, eventLoops));
    }

    public JsonObject toJson() {
      return new JsonObject().put("gateway", gateway).put("router", router)
          .put("progress", progress).put("errors", errors).put("eventLoops", eventLoops);
    }
  }

  public static final String MASK = "****";

  /** Built-in defaults (the lowest configuration layer). */
  public static JsonObject defaults() {
    JsonObject fanOut = new JsonObject()
        .put("crawl_project", new JsonArray(List.of("issues", "mergeRequests", "commits", "branches", "pipelines")));
    return new JsonObject()
        .put("profile", "development")
        .put("dataDir", "./data")
        .put("socketMode", "rw-rw----")
        .put("socketEnabled", true)
        .put("host", "127.0.0.1")
        .put("port", 7070)
        .put("tcpEnabled", false)
        .put("maxConnections", 1000)
        .put("connectionTimeout", 30000)
        .put("maxMessageSize", 1048576)
        .put("heartbeatInterval", 30000)
        .put("heartbeatTimeout", 90000)
        .put("authTimeout", 5000)
        .put("maxInFlightPerConnection", 256)
        .put("maxJobsPerRequest", 5)
        .put("maxConcurrentJobs", 5)
        .put("jobTimeout", 3600000)
        .put("retryAttempts", 3)
        .put("retryDelay", 5000)
        .put("retryMaxDelay", 300000)
        .put("logLevel", "info")
        .put("enableMetrics", true)
        .put("nativeTransport", true)
        // job_progress is the hot path (hundreds of thousands a second); its progress is published
        // aggregated on hub.progress.job.<jobId> / hub.progress.jobs, not once per line
        .put("unpublishedMessageTypes", new JsonArray().add("job_progress"))
        .put("database", new JsonObject().put("poolSize", 10).put("user", "postgres")
            .put("writeBufferSize", 100000))
        .put("http", new JsonObject().put("enabled", true).put("port", 8080).put("host", "127.0.0.1")
            .put("maxBodySize", 16L * 1024 * 1024))
        .put("crawlerTokens", new JsonArray())
        .put("tls", new JsonObject().put("enabled", false))
        .put("cluster", new JsonObject().put("enabled", false).put("host", "127.0.0.1").put("port", 5701)
            .put("members", new JsonArray().add("127.0.0.1")))
        .put("discovery", new JsonObject().put("fanOut", fanOut))
        .put("cleanupInterval", 3600000)
        .put("maxJobAge", 7L * 24 * 3600 * 1000)
        .put("maxErrorLogAge", 7L * 24 * 3600 * 1000)
        .put("shutdownTimeout", 30000)
        .put("leaseCheckInterval", 1000)
        .put("progressFlushInterval", 250)
        .put("progressPublishInterval", 250)
        .put("rateLimit", new JsonObject().put("messagesPerSecond", 0))
        .put("tokenRefresh", new JsonObject().put("timeout", 10000))
        .put("alerts", new JsonObject().put("window", 60000).put("cooldown", 300000)
            .put("defaultThreshold", 100).put("thresholds", new JsonObject()))
        .put("instances", new JsonObject().put("gateway", AUTO).put("router", AUTO).put("progress", 1).put("errors", 1)
            .put("eventLoops", AUTO));
  }

  /**
   * Builds the record from merged configuration JSON. Missing keys take the built-in defaults;
   * derived defaults (socketPath from dataDir, leaseGrace = heartbeatTimeout) are filled here.
   * A JSON {@code null} counts as absent. Type errors surface as {@link ClassCastException} here:
   * {@link ConfigValidator#validateJson} reports them by key first (the loader does).
   */
  public static HubConfig fromJson(JsonObject json) {
    JsonObject j = defaults().mergeIn(json == null ? new JsonObject() : withoutNulls(json), true);
    String dataDir = j.getString("dataDir");
    String socketPath = j.getString("socketPath");
    if (socketPath == null || socketPath.isBlank()) {
      socketPath = Path.of(dataDir, "crawler-hub.sock").toAbsolutePath().normalize().toString();
    }
    long heartbeatTimeout = j.getLong("heartbeatTimeout");
    Long leaseGrace = j.getLong("leaseGrace");
    JsonObject db = j.getJsonObject("database");
    String dbUrl = db.getString("url");
    JsonObject http = j.getJsonObject("http");
    JsonObject tls = j.getJsonObject("tls");
    JsonObject cluster = j.getJsonObject("cluster");
    JsonObject alerts = j.getJsonObject("alerts");
    JsonObject inst = j.getJsonObject("instances");
    Map<String, Integer> thresholds = new LinkedHashMap<>();
    alerts.getJsonObject("thresholds", new JsonObject())
        .forEach(e -> thresholds.put(e.getKey(), ((Number) e.getValue()).intValue()));
    return new HubConfig(
        j.getString("profile"),
        j.getString("nodeId"),
        dataDir,
        socketPath,
        j.getString("socketMode"),
        j.getBoolean("socketEnabled"),
        j.getString("host"),
        j.getInteger("port"),
        j.getBoolean("tcpEnabled"),
        j.getInteger("maxConnections"),
        j.getLong("connectionTimeout"),
        j.getInteger("maxMessageSize"),
        j.getLong("heartbeatInterval"),
        heartbeatTimeout,
        j.getLong("authTimeout"),
        j.getInteger("maxInFlightPerConnection"),
        j.getInteger("maxJobsPerRequest"),
        j.getInteger("maxConcurrentJobs"),
        j.getLong("jobTimeout"),
        j.getInteger("retryAttempts"),
        j.getLong("retryDelay"),
        j.getLong("retryMaxDelay"),
        j.getString("logLevel"),
        j.getBoolean("enableMetrics"),
        j.getBoolean("nativeTransport"),
        strings(j.getJsonArray("unpublishedMessageTypes")),
        new Database(dbUrl, db.getInteger("poolSize"), db.getString("user"), db.getString("password"),
            db.getBoolean("embedded", dbUrl == null || dbUrl.isBlank()),
            db.getString("embeddedDir", Path.of(dataDir, "pg").toString()),
            db.getInteger("writeBufferSize")),
        new Http(http.getBoolean("enabled", true), http.getInteger("port"), http.getString("host"),
            blankToNull(http.getString("adminToken")), http.getLong("maxBodySize")),
        strings(j.getJsonArray("crawlerTokens")),
        new Tls(tls.getBoolean("enabled", false), tls.getString("keyPath"), tls.getString("certPath")),
        new Cluster(cluster.getBoolean("enabled", false), cluster.getString("host"),
            cluster.getInteger("port"), strings(cluster.getJsonArray("members"))),
        fanOut(j.getJsonObject("discovery").getJsonObject("fanOut", new JsonObject())),
        j.getLong("cleanupInterval"),
        j.getLong("maxJobAge"),
        j.getLong("maxErrorLogAge"),
        j.getLong("shutdownTimeout"),
        leaseGrace == null ? heartbeatTimeout : leaseGrace,
        j.getLong("leaseCheckInterval"),
        j.getLong("progressFlushInterval"),
        j.getLong("progressPublishInterval"),
        j.getJsonObject("rateLimit").getInteger("messagesPerSecond", 0),
        new TokenRefresh(blankToNull(j.getJsonObject("tokenRefresh").getString("url")),
            j.getJsonObject("tokenRefresh").getLong("timeout")),
        new Alerts(blankToNull(alerts.getString("webhookUrl")), alerts.getLong("window"),
            alerts.getLong("cooldown"), alerts.getInteger("defaultThreshold"), Map.copyOf(thresholds)),
        new Instances(inst.getInteger("gateway"), inst.getInteger("router"), inst.getInteger("progress"),
            inst.getInteger("errors"), inst.getInteger("eventLoops")));
  }

  /** Default configuration (no files, no environment). */
  public static HubConfig defaultConfig() {
    return fromJson(new JsonObject());
  }

  /** maxAttempts of a new job: retryAttempts + 1. */
  public int defaultMaxAttempts() {
    return retryAttempts + 1;
  }

  public JsonObject toJson() {
    JsonObject fan = new JsonObject();
    discoveryFanOut.forEach((k, v) -> fan.put(k, new JsonArray(new ArrayList<>(v))));
    return new JsonObject()
        .put("profile", profile).put("nodeId", nodeId).put("dataDir", dataDir)
        .put("socketPath", socketPath).put("socketMode", socketMode).put("socketEnabled", socketEnabled)
        .put("host", host).put("port", port).put("tcpEnabled", tcpEnabled)
        .put("maxConnections", maxConnections).put("connectionTimeout", connectionTimeout)
        .put("maxMessageSize", maxMessageSize).put("heartbeatInterval", heartbeatInterval)
        .put("heartbeatTimeout", heartbeatTimeout).put("authTimeout", authTimeout)
        .put("maxInFlightPerConnection", maxInFlightPerConnection)
        .put("maxJobsPerRequest", maxJobsPerRequest).put("maxConcurrentJobs", maxConcurrentJobs)
        .put("jobTimeout", jobTimeout).put("retryAttempts", retryAttempts).put("retryDelay", retryDelay)
        .put("retryMaxDelay", retryMaxDelay).put("logLevel", logLevel).put("enableMetrics", enableMetrics)
        .put("nativeTransport", nativeTransport)
        .put("unpublishedMessageTypes", new JsonArray(new ArrayList<>(unpublishedMessageTypes)))
        .put("database", database.toJson()).put("http", http.toJson())
        .put("crawlerTokens", new JsonArray(new ArrayList<>(crawlerTokens))).put("tls", tls.toJson())
        .put("cluster", cluster.toJson()).put("discovery", new JsonObject().put("fanOut", fan))
        .put("cleanupInterval", cleanupInterval).put("maxJobAge", maxJobAge)
        .put("maxErrorLogAge", maxErrorLogAge).put("shutdownTimeout", shutdownTimeout)
        .put("leaseGrace", leaseGrace).put("leaseCheckInterval", leaseCheckInterval)
        .put("progressFlushInterval", progressFlushInterval)
        .put("progressPublishInterval", progressPublishInterval)
        .put("rateLimit", new JsonObject().put("messagesPerSecond", rateLimitMessagesPerSecond))
        .put("tokenRefresh", tokenRefresh.toJson()).put("alerts", alerts.toJson())
        .put("instances", instances.toJson());
  }

  /** {@link #toJson()} with every secret (tokens, passwords, credentials in URLs) masked. */
  public JsonObject toMaskedJson() {
    JsonObject j = toJson();
    JsonArray tokens = new JsonArray();
    crawlerTokens.forEach(t -> tokens.add(MASK));
    j.put("crawlerTokens", tokens);
    maskHttp(j.getJsonObject("http"));
    maskDatabase(j.getJsonObject("database"));
    maskUrlField(j.getJsonObject("tokenRefresh"), "url");
    maskUrlField(j.getJsonObject("alerts"), "webhookUrl");
    return j;
  }

  /** Records print every field; this one's would include the tokens, so it prints the masked JSON. */
  @Override
  public String toString() {
    return "HubConfig" + toMaskedJson().encode();
  }

  /**
   * Masks the password of {@code scheme://user:password@host/...} (up to the last {@code @} of the
   * authority, so a password containing {@code @} does not leak a tail) and the values of
   * {@code password=}, {@code token=}, {@code secret=} and {@code key=}-like query parameters.
   */
  static String maskUrl(String url) {
    String masked = url.replaceAll("(://[^:/?#@]*:)[^/?#]*@", "$1" + MASK + "@");
    return masked.replaceAll("(?i)([?&;][a-z0-9_.-]*(?:password|token|secret|key)=)[^&;#]*", "$1" + MASK);
  }

  private static JsonObject maskHttp(JsonObject http) {
    if (http.getString("adminToken") != null) {
      http.put("adminToken", MASK);
    }
    return http;
  }

  private static JsonObject maskDatabase(JsonObject db) {
    if (db.getString("password") != null) {
      db.put("password", MASK);
    }
    return maskUrlField(db, "url");
  }

  private static JsonObject maskUrlField(JsonObject o, String field) {
    if (o.getString(field) != null) {
      o.put(field, maskUrl(o.getString(field)));
    }
    return o;
  }

  /** A deep copy without null members (nested objects included). */
  private static JsonObject withoutNulls(JsonObject json) {
    JsonObject out = new JsonObject();
    json.forEach(e -> {
      Object v = e.getValue();
      if (v instanceof JsonObject o) {
        out.put(e.getKey(), withoutNulls(o));
      } else if (v instanceof Map<?, ?> m) {
        out.put(e.getKey(), withoutNulls(new JsonObject(castMap(m))));
      } else if (v != null) {
        out.put(e.getKey(), v);
      }
    });
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> castMap(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  private static List<String> strings(JsonArray a) {
    List<String> out = new ArrayList<>();
    if (a != null) {
      a.forEach(o -> out.add(String.valueOf(o)));
    }
    return List.copyOf(out);
  }

  private static Map<String, List<String>> fanOut(JsonObject o) {
    Map<String, List<String>> m = new LinkedHashMap<>();
    o.forEach(e -> m.put(e.getKey(), strings((JsonArray) e.getValue())));
    return java.util.Collections.unmodifiableMap(m);
  }
}
