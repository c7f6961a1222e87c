package org.crawlerhub.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ConfigValidatorTest {

  private final ConfigValidator validator = new ConfigValidator();

  private static JsonObject obj(String key, Object value) {
    return new JsonObject().put(key, value);
  }

  private static JsonObject nested(String object, String key, Object value) {
    return new JsonObject().put(object, new JsonObject().put(key, value));
  }

  @Test
  @DisplayName("The built-in defaults are valid and raise no warning")
  void defaultsAreClean() {
    ValidationResult r = validator.validateJson(new JsonObject());

    assertThat(r.errors()).isEmpty();
    assertThat(r.warnings()).isEmpty();
  }

  @Test
  @DisplayName("A record's own JSON has only known keys, so the key table covers everything HubConfig writes")
  void keyTableCoversTheRecord() {
    // GIVEN a config with every optional value set
    JsonObject json = new JsonObject().put("nodeId", "n1").put("leaseGrace", 1000)
        .put("crawlerTokens", new JsonArray().add("t"))
        .put("database", new JsonObject().put("url", "postgresql://h/db").put("password", "p").put("embedded", false))
        .put("http", new JsonObject().put("adminToken", "a"))
        .put("tokenRefresh", new JsonObject().put("url", "http://x"))
        .put("alerts", new JsonObject().put("webhookUrl", "http://y").put("thresholds", new JsonObject().put("network", 3)));
    // WHEN its record is written back to JSON and checked
    ValidationResult r = validator.validateJson(HubConfig.fromJson(json).toJson());
    // THEN
    assertThat(r.errors()).isEmpty();
    assertThat(r.warnings()).isEmpty();
  }

  static Stream<Arguments> invalidConfigs() {
    return Stream.of(
        Arguments.of("TCP port 0", obj("port", 0), "port: must be between 1 and 65535"),
        Arguments.of("TCP port 65536", obj("port", 65536), "port: must be between 1 and 65535"),
        Arguments.of("HTTP port 0", nested("http", "port", 0), "http.port: must be between 1 and 65535"),
        Arguments.of("HTTP port 70000", nested("http", "port", 70000), "http.port: must be between 1 and 65535"),
        Arguments.of("cluster port 0", nested("cluster", "port", 0), "cluster.port: must be between 1 and 65535"),
        Arguments.of("maxConnections 0", obj("maxConnections", 0), "maxConnections: must be at least 1"),
        Arguments.of("relative socketPath", obj("socketPath", "data/hub.sock"), "socketPath: must be an absolute path"),
        Arguments.of("socketPath over the Unix limit", obj("socketPath", "/" + "s".repeat(120)), "socketPath: longer than 107 bytes"),
        Arguments.of("heartbeatInterval equal to heartbeatTimeout",
            new JsonObject().put("heartbeatInterval", 90000).put("heartbeatTimeout", 90000),
            "heartbeatInterval: must be below heartbeatTimeout"),
        Arguments.of("TCP without crawler tokens", obj("tcpEnabled", true), "crawlerTokens: TCP is enabled"),
        Arguments.of("an empty crawler token", obj("crawlerTokens", new JsonArray().add("ok").add(" ")), "crawlerTokens: must not contain empty tokens"),
        Arguments.of("an empty unpublished type", obj("unpublishedMessageTypes", new JsonArray().add("")),
            "unpublishedMessageTypes: must not contain empty type names"),
        Arguments.of("non-loopback HTTP without admin token", nested("http", "host", "0.0.0.0"), "http.adminToken: required"),
        Arguments.of("TLS without key path", new JsonObject().put("tls", new JsonObject().put("enabled", true).put("certPath", "/etc/hosts")),
            "tls.keyPath: required"),
        Arguments.of("TLS without cert path", new JsonObject().put("tls", new JsonObject().put("enabled", true).put("keyPath", "/etc/hosts")),
            "tls.certPath: required"),
        Arguments.of("TLS with missing files", new JsonObject().put("tls", new JsonObject().put("enabled", true)
            .put("keyPath", "/nonexistent/key.pem").put("certPath", "/etc/hosts")), "tls.keyPath: file not found"),
        Arguments.of("maxMessageSize 0", obj("maxMessageSize", 0), "maxMessageSize: must be at least 1"),
        Arguments.of("maxJobsPerRequest 0", obj("maxJobsPerRequest", 0), "maxJobsPerRequest: must be at least 1"),
        Arguments.of("maxConcurrentJobs 0", obj("maxConcurrentJobs", 0), "maxConcurrentJobs: must be at least 1"),
        Arguments.of("maxInFlightPerConnection 0", obj("maxInFlightPerConnection", 0), "maxInFlightPerConnection: must be at least 1"),
        Arguments.of("retryAttempts -1", obj("retryAttempts", -1), "retryAttempts: must be at least 0"),
        Arguments.of("negative jobTimeout", obj("jobTimeout", -1), "jobTimeout: must not be negative"),
        Arguments.of("negative retryDelay", obj("retryDelay", -1), "retryDelay: must not be negative"),
        Arguments.of("negative leaseGrace", obj("leaseGrace", -1), "leaseGrace: must not be negative"),
        Arguments.of("negative shutdownTimeout", obj("shutdownTimeout", -5), "shutdownTimeout: must not be negative"),
        Arguments.of("negative cleanupInterval", obj("cleanupInterval", -1), "cleanupInterval: must not be negative"),
        Arguments.of("negative connectionTimeout", obj("connectionTimeout", -1), "connectionTimeout: must not be negative"),
        Arguments.of("negative authTimeout", obj("authTimeout", -1), "authTimeout: must not be negative"),
        Arguments.of("zero leaseCheckInterval", obj("leaseCheckInterval", 0), "leaseCheckInterval: must be at least 1"),
        Arguments.of("zero progressFlushInterval", obj("progressFlushInterval", 0), "progressFlushInterval: must be at least 1"),
        Arguments.of("database.poolSize 0", nested("database", "poolSize", 0), "database.poolSize: must be at least 1"),
        Arguments.of("database.url of another database", nested("database", "url", "mysql://u:pw@h/db"), "database.url: must start with"),
        Arguments.of("instances.gateway -1", nested("instances", "gateway", -1), "instances.gateway: must be at least 0"),
        Arguments.of("instances.router -1", nested("instances", "router", -1), "instances.router: must be at least 0"),
        Arguments.of("instances.progress 0", nested("instances", "progress", 0), "instances.progress: must be at least 1"),
        Arguments.of("instances.errors 0", nested("instances", "errors", 0), "instances.errors: must be at least 1"),
        Arguments.of("instances.eventLoops -1", nested("instances", "eventLoops", -1), "instances.eventLoops: must be at least 0"),
        Arguments.of("unknown logLevel", obj("logLevel", "verbose"), "logLevel: unknown level \"verbose\""),
        Arguments.of("unknown profile", obj("profile", "staging"), "profile: unknown profile \"staging\""),
        Arguments.of("neither socket nor TCP", obj("socketEnabled", false), "socketEnabled/tcpEnabled: neither"),
        Arguments.of("socketMode not rwx", obj("socketMode", "0660"), "socketMode: must look like rw-rw----"),
        Arguments.of("cluster without members", new JsonObject().put("cluster",
            new JsonObject().put("enabled", true).put("members", new JsonArray())), "cluster.members: the cluster is enabled"),
        Arguments.of("a cluster member with a port range", nested("cluster", "members", new JsonArray().add("127.0.0.1:5701-5710")),
            "cluster.members: port ranges are not accepted"),
        Arguments.of("a data directory Java cannot use as a path", obj("dataDir", "bad\u0000dir"), "configuration: cannot be built"),
        // type errors: reported by key, never a ClassCastException
        Arguments.of("port as a word", obj("port", "abc"), "port: must be an integer (32-bit), got \"abc\""),
        Arguments.of("port with a fraction", obj("port", 70.5), "port: must be an integer (32-bit), got 70.5"),
        Arguments.of("port beyond 32 bits", obj("port", 1L << 40), "port: must be an integer (32-bit), got 1099511627776 (out of range)"),
        Arguments.of("heartbeatTimeout as a word", obj("heartbeatTimeout", "90s"), "heartbeatTimeout: must be an integer, got \"90s\""),
        Arguments.of("tcpEnabled as a word", obj("tcpEnabled", "yes"), "tcpEnabled: must be a boolean, got \"yes\""),
        Arguments.of("crawlerTokens as a string", obj("crawlerTokens", "a,b"), "crawlerTokens: must be an array of strings, got a string"),
        Arguments.of("cluster.members with a number", nested("cluster", "members", new JsonArray().add(1)),
            "cluster.members: must be an array of strings, got [1] (every element must be a string)"),
        Arguments.of("http as a string", obj("http", "8080"), "http: must be an object, got \"8080\""),
        Arguments.of("host as a number", obj("host", 127), "host: must be a string, got 127"),
        Arguments.of("maxConnections null", obj("maxConnections", null), "maxConnections: must not be null"),
        Arguments.of("an alert threshold as a word", nested("alerts", "thresholds", new JsonObject().put("network", "many")),
            "alerts.thresholds.network: must be an integer (32-bit), got \"many\""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidConfigs")
  @DisplayName("Each invalid setting is reported as exactly one error naming its key")
  void eachErrorIsReported(String description, JsonObject config, String expectedError) {
    ValidationResult r = validator.validateJson(config);

    assertThat(r.errors()).hasSize(1);
    assertThat(r.errors().get(0)).contains(expectedError);
  }

  @Test
  @DisplayName("Enabling TLS needs both files; existing readable files pass")
  void tlsWithFiles(@TempDir Path dir) throws Exception {
    Path key = Files.writeString(dir.resolve("key.pem"), "k");
    Path cert = Files.writeString(dir.resolve("cert.pem"), "c");
    JsonObject tls = new JsonObject().put("enabled", true);

    assertThat(validator.validateJson(obj("tls", tls.copy())).errors())
        .containsExactly("tls.keyPath: required when tls.enabled is true", "tls.certPath: required when tls.enabled is true");
    assertThat(validator.validateJson(obj("tls", tls.copy().put("keyPath", key.toString())
        .put("certPath", cert.toString()))).errors()).isEmpty();
  }

  @Test
  @DisplayName("A non-loopback HTTP host with an admin token, or HTTP disabled, is accepted")
  void exposedHttpWithToken() {
    assertThat(validator.validateJson(new JsonObject().put("http",
        new JsonObject().put("host", "0.0.0.0").put("adminToken", "secret"))).errors()).isEmpty();
    assertThat(validator.validateJson(new JsonObject().put("http",
        new JsonObject().put("host", "0.0.0.0").put("enabled", false))).errors()).isEmpty();
  }

  @Test
  @DisplayName("TCP with crawler tokens and TCP alone (socket disabled) are accepted")
  void tcpWithTokens() {
    JsonObject cfg = new JsonObject().put("tcpEnabled", true).put("socketEnabled", false)
        .put("crawlerTokens", new JsonArray().add("t1"));

    assertThat(validator.validateJson(cfg).errors()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "0:0:0:0:0:0:0:1"})
  @DisplayName("Loopback hosts are recognised without DNS")
  void loopbackHosts(String host) {
    assertThat(ConfigValidator.isLoopback(host)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0", "10.0.0.1", "::", "hub.example.org", ""})
  @DisplayName("Other hosts are not loopback")
  void nonLoopbackHosts(String host) {
    assertThat(ConfigValidator.isLoopback(host)).isFalse();
  }

  static Stream<Arguments> warningConfigs() {
    return Stream.of(
        Arguments.of("heartbeatInterval below 1 s", obj("heartbeatInterval", 500), "heartbeatInterval: 500 ms is below 1 s"),
        Arguments.of("connectionTimeout below 5 s", obj("connectionTimeout", 4999), "connectionTimeout: 4999 ms is below 5 s"),
        Arguments.of("maxMessageSize above 10 MiB", obj("maxMessageSize", 10 * 1024 * 1024 + 1), "maxMessageSize: 10485761 bytes is above 10 MiB"),
        Arguments.of("TCP on a public address without TLS", new JsonObject().put("tcpEnabled", true).put("host", "0.0.0.0")
            .put("crawlerTokens", new JsonArray().add("t")), "tls.enabled: TCP listens on \"0.0.0.0\" without TLS"),
        Arguments.of("an unknown key", obj("heartbeatIntervall", 1000), "heartbeatIntervall: unknown key"),
        Arguments.of("an unknown nested key", nested("http", "prot", 1), "http.prot: unknown key"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("warningConfigs")
  @DisplayName("Each risky setting raises exactly one warning and no error")
  void eachWarningIsReported(String description, JsonObject config, String expectedWarning) {
    ValidationResult r = validator.validateJson(config);

    assertThat(r.errors()).isEmpty();
    assertThat(r.warnings()).hasSize(1);
    assertThat(r.warnings().get(0)).contains(expectedWarning);
  }

  @Test
  @DisplayName("All errors are reported together, and the exception lists each on its own line")
  void allErrorsTogether() {
    // GIVEN five independent problems
    JsonObject cfg = new JsonObject().put("port", 0).put("maxConnections", 0).put("logLevel", "loud")
        .put("tcpEnabled", true).put("retryAttempts", "three")
        .put("connectionTimeout", 10); // and a warning
    // WHEN
    ValidationResult r = validator.validateJson(cfg);
    // THEN
    assertThat(r.errors()).hasSize(5);
    assertThat(r.warnings()).hasSize(1);
    assertThatThrownBy(r::throwIfErrors)
        .isInstanceOfSatisfying(ConfigException.class, e -> {
          assertThat(e.errors()).isEqualTo(r.errors());
          assertThat(e.warnings()).isEqualTo(r.warnings());
          assertThat(e.getMessage().lines()).hasSize(6); // header + one line per error
          assertThat(e.getMessage()).contains("port: must be between 1 and 65535, got 0")
              .contains("maxConnections: must be at least 1, got 0")
              .contains("logLevel: unknown level \"loud\"")
              .contains("crawlerTokens: TCP is enabled")
              .contains("retryAttempts: must be an integer (32-bit), got \"three\"");
        });
  }

  @Test
  @DisplayName("A type error in a secret names the type, never the value")
  void typeErrorHidesSecrets() {
    ValidationResult r = validator.validateJson(new JsonObject()
        .put("http", new JsonObject().put("adminToken", 987654321))
        .put("crawlerTokens", "tok-abc"));

    assertThat(r.errors()).containsExactlyInAnyOrder(
        "http.adminToken: must be a string, got a number",
        "crawlerTokens: must be an array of strings, got a string");
    assertThat(String.join("\n", r.errors())).doesNotContain("987654321").doesNotContain("tok-abc");
  }

  @Test
  @DisplayName("validate(HubConfig) checks a record built in code")
  void validateRecord() {
    HubConfig ok = HubConfig.defaultConfig();
    HubConfig bad = HubConfig.fromJson(new JsonObject().put("maxJobsPerRequest", 0));

    assertThat(validator.validate(ok).hasErrors()).isFalse();
    assertThat(validator.validate(bad).errors()).containsExactly("maxJobsPerRequest: must be at least 1, got 0");
  }
}
