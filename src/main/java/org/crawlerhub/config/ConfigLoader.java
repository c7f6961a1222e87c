package org.crawlerhub.config;

import io.vertx.config.ConfigRetriever;
import io.vertx.config.ConfigRetrieverOptions;
import io.vertx.config.ConfigStoreOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the hub's configuration once, at start-up, with vertx-config (SPEC §6). Layers, each
 * overriding the ones before it (objects are merged member by member):
 * <ol>
 *   <li>built-in defaults ({@link HubConfig#defaults()});</li>
 *   <li>{@code conf/config.json}, optional; {@code VERTX_CONFIG_PATH} (or the system property
 *       {@code vertx-config-path}) names another file, which must then exist;</li>
 *   <li>the profile overlay ({@link #profileOverlay(String)});</li>
 *   <li>the explicit JSON of the caller (the launcher's {@code -conf}, a test's config);</li>
 *   <li>environment variables ({@code SOCKET_PORT}, {@code DATABASE_URL}, … — SPEC §6 list plus
 *       {@code HTTP_HOST}); an empty variable counts as unset;</li>
 *   <li>system properties {@code hub.<key>}, dotted for nested keys ({@code -Dhub.http.port=9090}).</li>
 * </ol>
 * The profile is {@code hub.profile}, else {@code HUB_PROFILE}, else {@code NODE_ENV} (when it
 * names a profile), else a {@code profile} key of the explicit JSON or the file, else
 * {@code development}; the merged config records it under {@code profile}. Strings from the
 * environment and system properties are converted to the key's JSON type (numbers, booleans,
 * comma-separated arrays); values that do not convert are kept, so validation names the key.
 */
public final class ConfigLoader {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigLoader.class);

  public static final String DEFAULT_PROFILE = "development";
  public static final Path DEFAULT_CONF_DIR = Path.of("conf");
  public static final String CONFIG_FILE_NAME = "config.json";
  public static final String CONFIG_PATH_ENV = "VERTX_CONFIG_PATH";
  public static final String CONFIG_PATH_PROPERTY = "vertx-config-path";
  public static final String SYSTEM_PROPERTY_PREFIX = "hub.";
  private static final long BLOCKING_LOAD_TIMEOUT_SECONDS = 30;

  private static final Map<String, JsonObject> PROFILE_OVERLAYS = Map.of(
      "development", new JsonObject().put("logLevel", "debug").put("heartbeatInterval", 10000),
      "test", new JsonObject().put("logLevel", "warn").put("heartbeatInterval", 5000),
      "production", new JsonObject().put("heartbeatInterval", 60000).put("connectionTimeout", 120000));

  private ConfigLoader() {
  }

  /**
   * The validated configuration from every layer, reading the real environment, system properties
   * and {@code ./conf}. Fails with a {@link ConfigException} listing every problem; warnings are logged.
   */
  public static Future<HubConfig> load(Vertx vertx, JsonObject explicit) {
    return load(vertx, explicit, System.getenv(), systemProperties(), DEFAULT_CONF_DIR);
  }

  /**
   * Blocking {@link #load(Vertx, JsonObject)} on a short-lived Vert.x instance, for {@code main}
   * before the real (possibly clustered) Vert.x exists: the cluster settings are configuration too.
   * Never call it on an event loop.
   *
   * @throws ConfigException listing every problem
   */
  public static HubConfig loadBlocking(JsonObject explicit) {
    return loadBlocking(explicit, System.getenv(), systemProperties(), DEFAULT_CONF_DIR);
  }

  /** {@link #loadBlocking(JsonObject)} with the environment, system properties and conf directory given. */
  public static HubConfig loadBlocking(JsonObject explicit, Map<String, String> env, Map<String, String> sysProps,
      Path confDir) {
    Vertx vertx = Vertx.vertx();
    try {
      return load(vertx, explicit, env, sysProps, confDir).await(BLOCKING_LOAD_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      throw new IllegalStateException("configuration not loaded within " + BLOCKING_LOAD_TIMEOUT_SECONDS + " s", e);
    } finally {
      vertx.close();
    }
  }

  /** {@link #load(Vertx, JsonObject)} with the environment, system properties and conf directory given. */
  public static Future<HubConfig> load(Vertx vertx, JsonObject explicit, Map<String, String> env,
      Map<String, String> sysProps, Path confDir) {
    return loadJson(vertx, explicit, env, sysProps, confDir)
        .compose(json -> vertx.executeBlocking(() -> build(json))); // the TLS checks stat files
  }

  /**
   * The merged configuration JSON, not yet validated. Fails with a {@link ConfigException} when the
   * configuration file is missing (only if named explicitly), unreadable or not a JSON object.
   */
  public static Future<JsonObject> loadJson(Vertx vertx, JsonObject explicit, Map<String, String> env,
      Map<String, String> sysProps, Path confDir) {
    JsonObject explicitLayer = explicit == null ? new JsonObject() : explicit.copy();
    JsonObject envLayer = fromEnvironment(env);
    JsonObject sysLayer = fromSystemProperties(sysProps);
    return configFile(vertx, env, sysProps, confDir).compose(file -> {
      // Pass 1 finds the profile (it may come from any layer); pass 2 inserts its overlay.
      List<JsonObject> below = List.of(HubConfig.defaults());
      List<JsonObject> above = List.of(explicitLayer, envLayer, sysLayer);
      return retrieve(vertx, below, file, null, above).compose(first -> {
        String profile = first.getValue("profile") instanceof String p ? normaliseProfile(p) : DEFAULT_PROFILE;
        return retrieve(vertx, below, file, profileOverlay(profile), above).map(merged -> {
          LOG.info("Configuration: profile {}, file {}", profile, file == null ? "(none)" : file);
          return merged.put("profile", profile);
        });
      });
    });
  }

  /**
   * Validates merged configuration JSON and builds the record; warnings are logged.
   *
   * @throws ConfigException listing every error (type errors included)
   */
  public static HubConfig build(JsonObject merged) {
    ValidationResult result = new ConfigValidator().validateJson(merged);
    result.throwIfErrors();
    result.warnings().forEach(w -> LOG.warn("Configuration: {}", w));
    return HubConfig.fromJson(merged);
  }

  /** The SPEC §6 overlay of a profile (a copy; empty for an unknown name, which validation rejects). */
  public static JsonObject profileOverlay(String profile) {
    JsonObject overlay = PROFILE_OVERLAYS.get(profile);
    return overlay == null ? new JsonObject() : overlay.copy();
  }

  /** The environment layer: the SPEC §6 variables converted to typed, nested JSON. */
  public static JsonObject fromEnvironment(Map<String, String> env) {
    JsonObject out = new JsonObject();
    ConfigKeys.ENV.forEach((variable, path) -> {
      String value = env.get(variable);
      if (value != null && !value.isBlank()) {
        putPath(out, path, ConfigKeys.convert(path, value));
      }
    });
    String hubProfile = env.get("HUB_PROFILE");
    String nodeEnv = env.get("NODE_ENV");
    if (hubProfile != null && !hubProfile.isBlank()) {
      out.put("profile", normaliseProfile(hubProfile));
    } else if (nodeEnv != null && ConfigValidator.PROFILES.contains(normaliseProfile(nodeEnv))) {
      // NODE_ENV belongs to other tools too: only a value naming one of our profiles counts.
      out.put("profile", normaliseProfile(nodeEnv));
    }
    return out;
  }

  /** The system-property layer: every {@code hub.<dotted.key>} as typed, nested JSON. */
  public static JsonObject fromSystemProperties(Map<String, String> props) {
    JsonObject out = new JsonObject();
    // Sorted, so that "hub.http" (a whole object) comes before "hub.http.port" refines it.
    new TreeMap<>(props).forEach((name, value) -> {
      if (name.startsWith(SYSTEM_PROPERTY_PREFIX) && name.length() > SYSTEM_PROPERTY_PREFIX.length()
          && value != null && !value.isBlank()) {
        String path = name.substring(SYSTEM_PROPERTY_PREFIX.length());
        putPath(out, path, ConfigKeys.convert(path, value));
      }
    });
    if (out.getValue("profile") instanceof String p) {
      out.put("profile", normaliseProfile(p));
    }
    return out;
  }

  /** A snapshot of the JVM's system properties as strings. */
  public static Map<String, String> systemProperties() {
    Properties p = System.getProperties();
    Map<String, String> out = new HashMap<>();
    for (String name : p.stringPropertyNames()) {
      out.put(name, p.getProperty(name));
    }
    return out;
  }

  private static String normaliseProfile(String profile) {
    return profile.trim().toLowerCase(Locale.ROOT);
  }

  /** The configuration file to read, or {@code null} when the default one does not exist. */
  private static Future<String> configFile(Vertx vertx, Map<String, String> env, Map<String, String> sysProps,
      Path confDir) {
    String named = env.get(CONFIG_PATH_ENV);
    if (named == null || named.isBlank()) {
      named = sysProps.get(CONFIG_PATH_PROPERTY);
    }
    if (named != null && !named.isBlank()) {
      return Future.succeededFuture(named.trim()); // named explicitly: it must exist
    }
    String path = confDir.resolve(CONFIG_FILE_NAME).toString();
    return vertx.fileSystem().exists(path).map(exists -> exists ? path : null);
  }

  private static Future<JsonObject> retrieve(Vertx vertx, List<JsonObject> below, String file,
      JsonObject overlay, List<JsonObject> above) {
    ConfigRetrieverOptions options = new ConfigRetrieverOptions()
        .setIncludeDefaultStores(false)
        .setScanPeriod(0); // loaded once: no periodic re-read
    below.forEach(layer -> options.addStore(jsonStore(layer)));
    if (file != null) {
      // Not optional: an optional store would hide a malformed file behind the defaults.
      options.addStore(new ConfigStoreOptions().setType("file").setFormat("json")
          .setConfig(new JsonObject().put("path", file)));
    }
    if (overlay != null) {
      options.addStore(jsonStore(overlay));
    }
    above.forEach(layer -> options.addStore(jsonStore(layer)));
    ConfigRetriever retriever = ConfigRetriever.create(vertx, options);
    return retriever.getConfig()
        .eventually(retriever::close)
        .recover(e -> Future.failedFuture(file == null || e instanceof ConfigException ? e
            : new ConfigException("configuration file " + file + ": " + e.getMessage(), e)));
  }

  private static ConfigStoreOptions jsonStore(JsonObject config) {
    return new ConfigStoreOptions().setType("json").setConfig(config);
  }

  /** Sets {@code a.b.c} in {@code root}, creating (or replacing non-object) intermediate members. */
  private static void putPath(JsonObject root, String dottedPath, Object value) {
    String[] parts = dottedPath.split("\\.");
    JsonObject node = root;
    for (int i = 0; i < parts.length - 1; i++) {
      Object child = node.getValue(parts[i]);
      if (!(child instanceof JsonObject)) {
        child = new JsonObject();
        node.put(parts[i], child);
      }
      node = (JsonObject) child;
    }
    node.put(parts[parts.length - 1], value);
  }
}
