package org.crawlerhub.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HubConfigTest {

  private static HubConfig withSecrets() {
    return HubConfig.fromJson(new JsonObject()
        .put("crawlerTokens", new JsonArray().add("crawler-token-1").add("crawler-token-2"))
        .put("http", new JsonObject().put("adminToken", "admin-token-xyz"))
        .put("database", new JsonObject().put("url", "postgresql://hub:db-pass-123@db:5432/hub")
            .put("password", "db-field-pass"))
        .put("tokenRefresh", new JsonObject().put("url", "https://svc:refresh-pass@app/refresh"))
        .put("alerts", new JsonObject().put("webhookUrl", "https://hooks.example/notify?token=hook-token-9")));
  }

  @Test
  @DisplayName("toMaskedJson hides the admin token, every crawler token and database passwords")
  void maskedJsonHidesSecrets() {
    // WHEN
    JsonObject masked = withSecrets().toMaskedJson();
    // THEN
    assertThat(masked.getJsonObject("http").getString("adminToken")).isEqualTo(HubConfig.MASK);
    assertThat(masked.getJsonArray("crawlerTokens")).containsExactly(HubConfig.MASK, HubConfig.MASK);
    assertThat(masked.getJsonObject("database").getString("url")).isEqualTo("postgresql://hub:****@db:5432/hub");
    assertThat(masked.getJsonObject("database").getString("password")).isEqualTo(HubConfig.MASK);
    assertThat(masked.getJsonObject("tokenRefresh").getString("url")).isEqualTo("https://svc:****@app/refresh");
    assertThat(masked.getJsonObject("alerts").getString("webhookUrl")).isEqualTo("https://hooks.example/notify?token=****");
    assertThat(masked.encode()).doesNotContain("crawler-token").doesNotContain("admin-token")
        .doesNotContain("db-pass").doesNotContain("refresh-pass").doesNotContain("hook-token");
  }

  @Test
  @DisplayName("toJson keeps the secrets, so a record round-trips through JSON")
  void toJsonRoundTrips() {
    HubConfig cfg = withSecrets();

    assertThat(cfg.toJson().getJsonObject("http").getString("adminToken")).isEqualTo("admin-token-xyz");
    assertThat(HubConfig.fromJson(cfg.toJson())).isEqualTo(cfg);
  }

  @Test
  @DisplayName("Printing the record or its parts never prints a secret")
  void toStringIsMasked() {
    HubConfig cfg = withSecrets();

    String printed = cfg + " " + cfg.http() + " " + cfg.database() + " " + cfg.tokenRefresh() + " " + cfg.alerts();

    assertThat(printed).doesNotContain("crawler-token").doesNotContain("admin-token")
        .doesNotContain("db-pass").doesNotContain("db-field-pass").doesNotContain("refresh-pass")
        .doesNotContain("hook-token").contains(HubConfig.MASK);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "postgresql://hub:secret@db/hub | postgresql://hub:****@db/hub",
      "postgres://:secret@db/hub | postgres://:****@db/hub",
      "postgresql://hub:p@ss@db:5432/hub | postgresql://hub:****@db:5432/hub",
      "jdbc:postgresql://db/hub?user=hub&password=secret&ssl=true | jdbc:postgresql://db/hub?user=hub&password=****&ssl=true",
      "https://hooks.example/x?api-key=k1&sslmode=require | https://hooks.example/x?api-key=****&sslmode=require",
      "postgresql://hub@db/hub | postgresql://hub@db/hub",
      "postgresql://db:5432/hub | postgresql://db:5432/hub"})
  @DisplayName("URL masking hides passwords in the user info and in query parameters only")
  void maskUrl(String url, String expected) {
    assertThat(HubConfig.maskUrl(url)).isEqualTo(expected);
  }

  @Test
  @DisplayName("A JSON null counts as absent: the default or the derived value applies")
  void nullIsAbsent() {
    HubConfig cfg = HubConfig.fromJson(new JsonObject().put("port", null).put("socketPath", null)
        .put("leaseGrace", null).put("database", new JsonObject().put("embedded", null)));

    assertThat(cfg.port()).isEqualTo(7070);
    assertThat(cfg.socketPath()).endsWith("crawler-hub.sock");
    assertThat(cfg.leaseGrace()).isEqualTo(cfg.heartbeatTimeout());
    assertThat(cfg.database().embedded()).isTrue();
  }

  @Test
  @DisplayName("auto instances: a gateway and a router partition per event loop; explicit counts are kept")
  void autoInstances() {
    HubConfig.Instances auto = new HubConfig.Instances(HubConfig.AUTO, HubConfig.AUTO, 1, 1, HubConfig.AUTO);
    assertThat(auto.resolved(4)).isEqualTo(new HubConfig.Instances(4, 4, 1, 1, 4));
    assertThat(auto.resolved(0)).isEqualTo(new HubConfig.Instances(1, 1, 1, 1, 1));
    assertThat(new HubConfig.Instances(2, 3, 2, 1, 3).resolved(4)).isEqualTo(new HubConfig.Instances(2, 3, 2, 1, 4));
  }

  @Test
  @DisplayName("auto event loops: one per core (not Vert.x's two per core); an explicit count is kept")
  void autoEventLoops() {
    assertThat(HubConfig.defaultConfig().instances().eventLoops()).isEqualTo(HubConfig.AUTO);
    assertThat(HubConfig.defaultConfig().instances().eventLoopPoolSize())
        .isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(new HubConfig.Instances(0, 0, 1, 1, 3).eventLoopPoolSize()).isEqualTo(3);
  }
}
