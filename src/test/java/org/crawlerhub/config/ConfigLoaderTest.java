package org.crawlerhub.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

@ExtendWith(VertxExtension.class)
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConfigLoaderTest {

  @TempDir
  Path confDir;

  private Vertx vertx;
  private final Map<String, String> env = new HashMap<>();
  private final Map<String, String> sys = new HashMap<>();
  private JsonObject explicit = new JsonObject();

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
  }

  private void writeConfigFile(JsonObject json) throws Exception {
    Files.writeString(confDir.resolve("config.json"), json.encodePrettily());
  }

  private JsonObject merged() throws Exception {
    return ConfigLoader.loadJson(vertx, explicit, env, sys, confDir).await(10, TimeUnit.SECONDS);
  }

  private Throwable loadFailure() throws Exception {
    AsyncResult<HubConfig> result = ConfigLoader.load(vertx, explicit, env, sys, confDir)
        .transform(Future::succeededFuture).await(10, TimeUnit.SECONDS);
    assertThat(result.failed()).as("loading fails").isTrue();
    return result.cause();
  }

  // ---- precedence ---------------------------------------------------------------------------

  @Test
  @DisplayName("With no file, environment or properties the built-in defaults and the development profile apply")
  void defaultsOnly() throws Exception {
    JsonObject cfg = merged();

    assertThat(cfg.getInteger("maxConnections")).isEqualTo(1000);
    assertThat(cfg.getInteger("port")).isEqualTo(7070);
    assertThat(cfg.getString("profile")).isEqualTo("development");
    assertThat(cfg.getString("logLevel")).isEqualTo("debug");
    assertThat(cfg.getLong("heartbeatInterval")).isEqualTo(10000);
  }

  @Test
  @DisplayName("conf/config.json overrides the built-in defaults")
  void fileBeatsDefaults() throws Exception {
    // GIVEN
    writeConfigFile(new JsonObject().put("maxConnections", 10).put("http", new JsonObject().put("port", 8181)));
    // WHEN
    JsonObject cfg = merged();
    // THEN nested objects merge member by member
    assertThat(cfg.getInteger("maxConnections")).isEqualTo(10);
    assertThat(cfg.getJsonObject("http").getInteger("port")).isEqualTo(8181);
    assertThat(cfg.getJsonObject("http").getString("host")).isEqualTo("127.0.0.1");
  }

  @Test
  @DisplayName("The profile overlay overrides conf/config.json")
  void profileBeatsFile() throws Exception {
    writeConfigFile(new JsonObject().put("heartbeatInterval", 20000).put("logLevel", "error"));
    env.put("HUB_PROFILE", "test");

    JsonObject cfg = merged();

    assertThat(cfg.getLong("heartbeatInterval")).isEqualTo(5000);
    assertThat(cfg.getString("logLevel")).isEqualTo("warn");
  }

  @Test
  @DisplayName("The caller's explicit JSON overrides the profile overlay")
  void explicitBeatsProfile() throws Exception {
    env.put("HUB_PROFILE", "test");
    explicit = new JsonObject().put("heartbeatInterval", 4000);

    assertThat(merged().getLong("heartbeatInterval")).isEqualTo(4000);
  }

  @Test
  @DisplayName("Environment variables override the caller's explicit JSON")
  void envBeatsExplicit() throws Exception {
    explicit = new JsonObject().put("heartbeatInterval", 4000);
    env.put("SOCKET_HEARTBEAT_INTERVAL", "3000");

    assertThat(merged().getLong("heartbeatInterval")).isEqualTo(3000);
  }

  @Test
  @DisplayName("System properties override environment variables")
  void sysPropsBeatEnv() throws Exception {
    env.put("SOCKET_HEARTBEAT_INTERVAL", "3000");
    sys.put("hub.heartbeatInterval", "2000");

    assertThat(merged().getLong("heartbeatInterval")).isEqualTo(2000);
  }

  @Test
  @DisplayName("Each layer wins for the keys it sets and keeps the lower layers' other keys")
  void everyLayerTogether() throws Exception {
    // GIVEN one key set by every layer, and one key set only by each layer
    writeConfigFile(new JsonObject().put("heartbeatInterval", 20000).put("maxConnections", 11)
        .put("http", new JsonObject().put("port", 8181)));
    env.put("HUB_PROFILE", "production"); // overlay: heartbeatInterval 60000, connectionTimeout 120000
    explicit = new JsonObject().put("heartbeatInterval", 4000).put("maxJobsPerRequest", 7)
        .put("http", new JsonObject().put("host", "127.0.0.2"));
    env.put("SOCKET_HEARTBEAT_INTERVAL", "3000");
    env.put("SOCKET_MAX_CONCURRENT_JOBS", "8");
    sys.put("hub.heartbeatInterval", "2000");
    sys.put("hub.retryAttempts", "9");
    // WHEN
    JsonObject cfg = merged();
    // THEN
    assertThat(cfg.getLong("heartbeatInterval")).isEqualTo(2000);
    assertThat(cfg.getInteger("maxConnections")).isEqualTo(11);
    assertThat(cfg.getLong("connectionTimeout")).isEqualTo(120000);
    assertThat(cfg.getInteger("maxJobsPerRequest")).isEqualTo(7);
    assertThat(cfg.getInteger("maxConcurrentJobs")).isEqualTo(8);
    assertThat(cfg.getInteger("retryAttempts")).isEqualTo(9);
    assertThat(cfg.getJsonObject("http").getInteger("port")).isEqualTo(8181);
    assertThat(cfg.getJsonObject("http").getString("host")).isEqualTo("127.0.0.2");
    assertThat(cfg.getInteger("maxMessageSize")).isEqualTo(1048576); // built-in default
  }

  // ---- environment variables -----------------------------------------------------------------

  static Stream<Arguments> environmentVariables() {
    return Stream.of(
        Arguments.of("SOCKET_PATH", "/run/hub/hub.sock", "socketPath", "/run/hub/hub.sock"),
        Arguments.of("SOCKET_HOST", "0.0.0.0", "host", "0.0.0.0"),
        Arguments.of("SOCKET_PORT", "7171", "port", 7171),
        Arguments.of("SOCKET_MAX_CONNECTIONS", "50", "maxConnections", 50),
        Arguments.of("SOCKET_HEARTBEAT_INTERVAL", "15000", "heartbeatInterval", 15000),
        Arguments.of("SOCKET_HEARTBEAT_TIMEOUT", "45000", "heartbeatTimeout", 45000),
        Arguments.of("SOCKET_MAX_MESSAGE_SIZE", "2048", "maxMessageSize", 2048),
        Arguments.of("SOCKET_LOG_LEVEL", "error", "logLevel", "error"),
        Arguments.of("SOCKET_MAX_CONCURRENT_JOBS", "9", "maxConcurrentJobs", 9),
        Arguments.of("DATABASE_URL", "postgresql://hub:pw@db:5432/hub", "database.url", "postgresql://hub:pw@db:5432/hub"),
        Arguments.of("HTTP_PORT", "9090", "http.port", 9090),
        Arguments.of("HTTP_HOST", "0.0.0.0", "http.host", "0.0.0.0"),
        Arguments.of("HUB_ADMIN_TOKEN", "s3cret", "http.adminToken", "s3cret"),
        Arguments.of("HUB_CRAWLER_TOKENS", "a, b,,c ", "crawlerTokens", new JsonArray().add("a").add("b").add("c")),
        Arguments.of("HUB_CLUSTER", "true", "cluster.enabled", true),
        Arguments.of("HUB_CLUSTER_MEMBERS", "10.0.0.1,10.0.0.2", "cluster.members", new JsonArray().add("10.0.0.1").add("10.0.0.2")),
        Arguments.of("HUB_RETRY_DELAY", "750", "retryDelay", 750),
        Arguments.of("HUB_LEASE_GRACE", "120000", "leaseGrace", 120000),
        Arguments.of("HUB_DATA_DIR", "/var/lib/hub", "dataDir", "/var/lib/hub"),
        Arguments.of("HUB_NATIVE_TRANSPORT", "false", "nativeTransport", false),
        Arguments.of("HUB_EVENT_LOOPS", "3", "instances.eventLoops", 3),
        Arguments.of("HUB_UNPUBLISHED_MESSAGE_TYPES", "job_progress,heartbeat", "unpublishedMessageTypes",
            new JsonArray().add("job_progress").add("heartbeat")),
        Arguments.of("TCP_ENABLED", "true", "tcpEnabled", true));
  }

  @ParameterizedTest(name = "{0}={1} sets {2}")
  @MethodSource("environmentVariables")
  @DisplayName("Each SPEC §6 environment variable sets its key with the key's JSON type")
  void environmentVariableIsMapped(String variable, String value, String path, Object expected) throws Exception {
    env.put(variable, value);

    Object actual = valueAt(merged(), path);

    assertThat(actual).isEqualTo(expected);
    assertThat(actual).isInstanceOf(expected.getClass());
  }

  @Test
  @DisplayName("HUB_UNPUBLISHED_MESSAGE_TYPES=[] publishes every type (a blank variable is unset, so [] says none)")
  void emptyUnpublishedTypes() throws Exception {
    env.put("HUB_UNPUBLISHED_MESSAGE_TYPES", "[]");

    assertThat(valueAt(merged(), "unpublishedMessageTypes")).isEqualTo(new JsonArray());
  }

  @Test
  @DisplayName("The test list covers every mapped environment variable")
  void everyVariableIsTested() {
    assertThat(environmentVariables().map(a -> (String) a.get()[0]))
        .containsExactlyInAnyOrderElementsOf(ConfigKeys.ENV.keySet());
  }

  @Test
  @DisplayName("Environment values reach the record with the right types")
  void environmentReachesTheRecord() throws Exception {
    env.put("SOCKET_PORT", "7171");
    env.put("TCP_ENABLED", "yes");
    env.put("HUB_CRAWLER_TOKENS", "t1,t2");
    env.put("HUB_CLUSTER", "0");
    env.put("HUB_LEASE_GRACE", "5000000000"); // beyond int

    HubConfig cfg = ConfigLoader.load(vertx, explicit, env, sys, confDir).await(10, TimeUnit.SECONDS);

    assertThat(cfg.port()).isEqualTo(7171);
    assertThat(cfg.tcpEnabled()).isTrue();
    assertThat(cfg.crawlerTokens()).containsExactly("t1", "t2");
    assertThat(cfg.cluster().enabled()).isFalse();
    assertThat(cfg.leaseGrace()).isEqualTo(5_000_000_000L);
  }

  @Test
  @DisplayName("An empty environment variable counts as unset")
  void emptyVariableIsUnset() throws Exception {
    env.put("SOCKET_PORT", "");
    env.put("HUB_ADMIN_TOKEN", "  ");

    JsonObject cfg = merged();

    assertThat(cfg.getInteger("port")).isEqualTo(7070);
    assertThat(cfg.getJsonObject("http").containsKey("adminToken")).isFalse();
  }

  @Test
  @DisplayName("Variables outside the SPEC list are not read")
  void unrelatedVariablesAreIgnored() throws Exception {
    env.put("PORT", "1");
    env.put("PATH", "/usr/bin");

    JsonObject cfg = merged();

    assertThat(cfg.getInteger("port")).isEqualTo(7070);
    assertThat(cfg.containsKey("PATH")).isFalse();
  }

  // ---- system properties ---------------------------------------------------------------------

  @Test
  @DisplayName("hub.* system properties set nested keys through dotted paths, with the key's type")
  void systemPropertiesUseDottedPaths() throws Exception {
    sys.put("hub.http.port", "9090");
    sys.put("hub.socketPath", "/x/hub.sock");
    sys.put("hub.crawlerTokens", "a,b");
    sys.put("hub.tcpEnabled", "true");
    sys.put("hub.alerts.thresholds.network", "5");
    sys.put("java.version", "17");

    JsonObject cfg = merged();

    assertThat(cfg.getJsonObject("http").getValue("port")).isEqualTo(9090);
    assertThat(cfg.getJsonObject("http").getString("host")).isEqualTo("127.0.0.1");
    assertThat(cfg.getString("socketPath")).isEqualTo("/x/hub.sock");
    assertThat(cfg.getJsonArray("crawlerTokens")).containsExactly("a", "b");
    assertThat(cfg.getValue("tcpEnabled")).isEqualTo(true);
    assertThat(cfg.getJsonObject("alerts").getJsonObject("thresholds").getValue("network")).isEqualTo(5);
    assertThat(cfg.containsKey("java")).isFalse();
  }

  // ---- profiles ------------------------------------------------------------------------------

  @Test
  @DisplayName("HUB_PROFILE=production applies the production overlay and records the profile")
  void productionProfile() throws Exception {
    env.put("HUB_PROFILE", "production");

    JsonObject cfg = merged();

    assertThat(cfg.getString("profile")).isEqualTo("production");
    assertThat(cfg.getLong("heartbeatInterval")).isEqualTo(60000);
    assertThat(cfg.getLong("connectionTimeout")).isEqualTo(120000);
    assertThat(cfg.getString("logLevel")).isEqualTo("info");
  }

  @Test
  @DisplayName("NODE_ENV chooses the profile when HUB_PROFILE is not set")
  void nodeEnvFallback() throws Exception {
    env.put("NODE_ENV", "test");

    JsonObject cfg = merged();

    assertThat(cfg.getString("profile")).isEqualTo("test");
    assertThat(cfg.getString("logLevel")).isEqualTo("warn");
  }

  @Test
  @DisplayName("HUB_PROFILE wins over NODE_ENV")
  void hubProfileBeatsNodeEnv() throws Exception {
    env.put("NODE_ENV", "test");
    env.put("HUB_PROFILE", "Production");

    assertThat(merged().getString("profile")).isEqualTo("production");
  }

  @Test
  @DisplayName("A NODE_ENV that names none of the profiles is ignored")
  void foreignNodeEnvIsIgnored() throws Exception {
    env.put("NODE_ENV", "staging");

    assertThat(merged().getString("profile")).isEqualTo("development");
  }

  @Test
  @DisplayName("A profile key in the explicit JSON or the file chooses the overlay when no variable does")
  void profileFromExplicitOrFile() throws Exception {
    writeConfigFile(new JsonObject().put("profile", "production"));
    assertThat(merged().getLong("connectionTimeout")).isEqualTo(120000);

    explicit = new JsonObject().put("profile", "test");
    JsonObject cfg = merged();
    assertThat(cfg.getString("profile")).isEqualTo("test");
    assertThat(cfg.getLong("heartbeatInterval")).isEqualTo(5000);
    assertThat(cfg.getLong("connectionTimeout")).isEqualTo(30000);
  }

  @Test
  @DisplayName("The hub.profile system property chooses the profile above all")
  void profileFromSystemProperty() throws Exception {
    env.put("HUB_PROFILE", "test");
    sys.put("hub.profile", "production");

    assertThat(merged().getString("profile")).isEqualTo("production");
  }

  @Test
  @DisplayName("An unknown HUB_PROFILE stops the start with an error naming the profile")
  void unknownProfileFails() throws Exception {
    env.put("HUB_PROFILE", "staging");

    assertThat(loadFailure()).isInstanceOf(ConfigException.class).hasMessageContaining("profile: unknown profile \"staging\"");
  }

  // ---- the configuration file ----------------------------------------------------------------

  @Test
  @DisplayName("VERTX_CONFIG_PATH names the configuration file in place of conf/config.json")
  void configPathVariable(@TempDir Path elsewhere) throws Exception {
    writeConfigFile(new JsonObject().put("maxConnections", 10));
    Path other = elsewhere.resolve("hub.json");
    Files.writeString(other, new JsonObject().put("maxConnections", 20).encode());
    env.put("VERTX_CONFIG_PATH", other.toString());

    assertThat(merged().getInteger("maxConnections")).isEqualTo(20);
  }

  @Test
  @DisplayName("A configuration file named by VERTX_CONFIG_PATH must exist")
  void namedFileMustExist() throws Exception {
    env.put("VERTX_CONFIG_PATH", confDir.resolve("missing.json").toString());

    assertThat(loadFailure()).isInstanceOf(ConfigException.class).hasMessageContaining("missing.json");
  }

  @Test
  @DisplayName("A malformed conf/config.json fails the start instead of being skipped")
  void malformedFileFails() throws Exception {
    Files.writeString(confDir.resolve("config.json"), "{\"port\": 70");

    assertThat(loadFailure()).isInstanceOf(ConfigException.class).hasMessageContaining("config.json");
  }

  @Test
  @DisplayName("The shipped conf/config.json does not override a test's explicit configuration")
  void shippedFileKeepsExplicitConfig() throws Exception {
    explicit = new JsonObject().put("maxConnections", 3).put("logLevel", "warn");

    JsonObject cfg = ConfigLoader.loadJson(vertx, explicit, env, sys, Path.of("conf")).await(10, TimeUnit.SECONDS);

    assertThat(new JsonObject(Files.readString(Path.of("conf", "config.json")))).isEqualTo(new JsonObject());
    assertThat(cfg.getInteger("maxConnections")).isEqualTo(3);
    assertThat(cfg.getString("logLevel")).isEqualTo("warn");
  }

  // ---- load = merge + validation -------------------------------------------------------------

  @Test
  @DisplayName("load gives the record, with the socket path derived from dataDir made absolute")
  void loadGivesTheRecord(@TempDir Path dataDir) throws Exception {
    env.put("HUB_DATA_DIR", dataDir.toString());
    env.put("HUB_PROFILE", "test");

    HubConfig cfg = ConfigLoader.load(vertx, explicit, env, sys, confDir).await(10, TimeUnit.SECONDS);

    assertThat(cfg.profile()).isEqualTo("test");
    assertThat(cfg.socketPath()).isEqualTo(dataDir.resolve("crawler-hub.sock").toString());
    assertThat(Path.of(cfg.socketPath()).isAbsolute()).isTrue();
  }

  @Test
  @DisplayName("load fails with one ConfigException that lists every problem of every layer, type errors included")
  void loadReportsEveryProblem() throws Exception {
    // GIVEN a type error from the environment and semantic errors from other layers
    env.put("SOCKET_PORT", "abc");
    env.put("TCP_ENABLED", "true");
    sys.put("hub.http.port", "0");
    explicit = new JsonObject().put("maxConnections", 0);
    // WHEN
    Throwable failure = loadFailure();
    // THEN
    assertThat(failure).isInstanceOf(ConfigException.class);
    ConfigException e = (ConfigException) failure;
    assertThat(e.errors()).hasSize(4);
    assertThat(e.getMessage().lines())
        .anyMatch(l -> l.contains("port: must be an integer (32-bit), got \"abc\""))
        .anyMatch(l -> l.contains("http.port: must be between 1 and 65535, got 0"))
        .anyMatch(l -> l.contains("maxConnections: must be at least 1, got 0"))
        .anyMatch(l -> l.contains("crawlerTokens: TCP is enabled"));
  }

  @Test
  @DisplayName("Warnings do not stop the start")
  void warningsDoNotFail() throws Exception {
    explicit = new JsonObject().put("connectionTimeout", 1000);

    HubConfig cfg = ConfigLoader.load(vertx, explicit, env, sys, confDir).await(10, TimeUnit.SECONDS);

    assertThat(cfg.connectionTimeout()).isEqualTo(1000);
  }

  @Test
  @DisplayName("loadBlocking gives the same record from a plain thread, for main before Vert.x starts")
  void loadBlockingFromMain() {
    env.put("SOCKET_PORT", "7272");

    HubConfig cfg = ConfigLoader.loadBlocking(explicit, env, sys, confDir);

    assertThat(cfg.port()).isEqualTo(7272);
  }

  @Test
  @DisplayName("loadBlocking throws the ConfigException itself")
  void loadBlockingThrowsConfigException() {
    env.put("SOCKET_MAX_CONNECTIONS", "none");

    assertThatThrownBy(() -> ConfigLoader.loadBlocking(explicit, env, sys, confDir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("maxConnections: must be an integer (32-bit), got \"none\"");
  }

  private static Object valueAt(JsonObject json, String dottedPath) {
    String[] parts = dottedPath.split("\\.");
    JsonObject node = json;
    for (int i = 0; i < parts.length - 1; i++) {
      node = node.getJsonObject(parts[i]);
    }
    return node.getValue(parts[parts.length - 1]);
  }
}
