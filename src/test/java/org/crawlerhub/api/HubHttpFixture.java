package org.crawlerhub.api;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.config.HubConfig;

/**
 * A Vert.x with Prometheus metrics enabled (as the app does), the fake bus services and the HTTP
 * verticle on a free port, plus a web client pointed at it.
 */
final class HubHttpFixture implements AutoCloseable {
  static final String TOKEN = "s3cret-admin-token";

  final Vertx vertx;
  final FakeHubServices services = new FakeHubServices();
  final HttpVerticle http;
  final WebClient client;

  HubHttpFixture(String adminToken, SseSettings sse, long maxBodySize) throws Exception {
    vertx = Vertx.vertx(new VertxOptions()
        .setMaxEventLoopExecuteTime(200).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
            .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))));
    vertx.deployVerticle(services).await(20, TimeUnit.SECONDS);
    JsonObject httpConf = new JsonObject().put("port", 0).put("host", "127.0.0.1").put("maxBodySize", maxBodySize);
    if (adminToken != null) {
      httpConf.put("adminToken", adminToken);
    }
    HubConfig cfg = HubConfig.fromJson(new JsonObject().put("nodeId", "node-a").put("http", httpConf));
    http = new HttpVerticle(cfg, sse);
    vertx.deployVerticle(http).await(20, TimeUnit.SECONDS);
    client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
        .setDefaultPort(http.actualPort()));
  }

  static HubHttpFixture withToken() throws Exception {
    return new HubHttpFixture(TOKEN, SseSettings.defaults(), 64 * 1024);
  }

  int port() {
    return http.actualPort();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  @Override
  public void close() throws Exception {
    client.close();
    vertx.close().await(20, TimeUnit.SECONDS);
  }
}
