package org.crawlerhub.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.app.HubApplication;
import org.crawlerhub.testing.LineClient;

/**
 * A whole hub (HubApplication: every verticle, real PostgreSQL, real Unix socket and HTTP) plus a
 * small blocking HTTP client for the operator API, for integration tests of the operator surface.
 */
final class RealHub implements AutoCloseable {
  static final Duration WAIT = Duration.ofSeconds(15);

  final HubApplication app;
  final String token;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private RealHub(HubApplication app, String token) {
    this.app = app;
    this.token = token;
  }

  /** A test-profile config on a fresh data dir, socket and HTTP port; {@code token} may be null. */
  static JsonObject config(String dbUrl, String token) throws IOException {
    Path dir = Files.createTempDirectory("hub-api-it");
    JsonObject http = new JsonObject().put("port", freePort());
    if (token != null) {
      http.put("adminToken", token);
    }
    return new JsonObject()
        .put("profile", "test")
        .put("dataDir", dir.toString())
        .put("socketPath", dir.resolve("hub.sock").toString())
        .put("database", new JsonObject().put("url", dbUrl))
        .put("http", http)
        .put("shutdownTimeout", 2000);
  }

  static RealHub start(JsonObject config) throws Exception {
    HubApplication app = HubApplication.start(config).await(120, TimeUnit.SECONDS);
    String token = config.getJsonObject("http").getString("adminToken");
    return new RealHub(app, token);
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  int port() {
    return app.config().http().port();
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port() + path);
  }

  LineClient crawler(String crawlerId) throws IOException {
    LineClient c = LineClient.unix(Path.of(app.config().socketPath()));
    if (crawlerId != null) {
      c.send(LineClient.msg("hello", null, new JsonObject().put("crawlerId", crawlerId).put("version", "1.0.0")));
      JsonObject welcome = c.readUntil(m -> "welcome".equals(m.getString("type")), WAIT);
      assertThat(welcome.getJsonObject("data").getString("crawlerId")).isEqualTo(crawlerId);
    }
    return c;
  }

  /** Sends a zero-size job_request and waits for its job_response: every earlier message was routed. */
  static void barrier(LineClient c) throws IOException {
    c.send(LineClient.msg("job_request", null, new JsonObject().put("maxJobs", 0)));
    c.readUntil(m -> "job_response".equals(m.getString("type")), WAIT);
  }

  record Reply(int status, String body, HttpResponse<String> raw) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  Reply send(String method, String path, Object body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(20));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
      b.method(method, HttpRequest.BodyPublishers.ofString(body instanceof String s ? s
          : io.vertx.core.json.Json.encode(body)));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), r.body(), r);
  }

  Reply get(String path) throws Exception {
    return send("GET", path, null);
  }

  Reply post(String path, Object body) throws Exception {
    return send("POST", path, body);
  }

  /** GET that must answer {@code status}; returns the JSON body. */
  JsonObject getJson(String path, int status) throws Exception {
    Reply r = get(path);
    assertThat(r.status()).as("GET %s -> %s", path, r.body()).isEqualTo(status);
    return r.json();
  }

  JsonObject getJson(String path) throws Exception {
    return getJson(path, 200);
  }

  @Override
  public void close() throws Exception {
    app.stop().await(60, TimeUnit.SECONDS);
  }
}
