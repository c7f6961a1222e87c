package org.crawlerhub.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.config.HubConfig;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
@DisplayName("Starting the HTTP verticle")
class HttpVerticleStartTest {

  @Test
  @DisplayName("refuses to expose an unauthenticated API on a non-loopback address, and answers /metrics 503 without metrics")
  void guardsAndDefaults() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      // GIVEN no admin token and a wildcard bind address
      HubConfig open = HubConfig.fromJson(new JsonObject().put("nodeId", "n")
          .put("http", new JsonObject().put("host", "0.0.0.0").put("port", 0)));
      // WHEN it is deployed THEN it fails, naming the fix
      Throwable failure = vertx.deployVerticle(new HttpVerticle(open)).map(id -> (Throwable) null)
          .otherwise(t -> t).await(10, TimeUnit.SECONDS);
      assertThat(failure).isNotNull().hasMessageContaining("adminToken");

      // GIVEN loopback without a token on a Vert.x without metrics
      HubConfig local = HubConfig.fromJson(new JsonObject().put("nodeId", "n")
          .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0)));
      HttpVerticle http = new HttpVerticle(local);
      vertx.deployVerticle(http).await(10, TimeUnit.SECONDS);
      io.vertx.ext.web.client.WebClient client = io.vertx.ext.web.client.WebClient.create(vertx);
      // THEN /api needs no token (its services are absent: 503) and /metrics explains itself
      var status = client.get(http.actualPort(), "127.0.0.1", "/api/status").send().await(15, TimeUnit.SECONDS);
      assertThat(status.statusCode()).isEqualTo(503);
      assertThat(status.bodyAsJsonObject().getString("error")).isEqualTo("UNAVAILABLE");
      var metrics = client.get(http.actualPort(), "127.0.0.1", "/metrics").send().await(10, TimeUnit.SECONDS);
      assertThat(metrics.statusCode()).isEqualTo(503);
      assertThat(metrics.bodyAsJsonObject().getString("error")).isEqualTo("METRICS_DISABLED");
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
