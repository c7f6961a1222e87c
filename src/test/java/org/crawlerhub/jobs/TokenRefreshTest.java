package org.crawlerhub.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.crawlerhub.jobs.JobsHarness.spec;

import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TokenRefreshTest {
  private JobsHarness hub;

  @AfterEach
  void stop() {
    if (hub != null) {
      hub.close();
    }
  }

  private String leasedJob() {
    String id = hub.enqueue(spec("t/one", 1)).get(0);
    hub.request("crawler-1", 1);
    return id;
  }

  private JsonObject refresh(String crawlerId, String jobId) {
    JsonObject reply = hub.command(crawlerId, "token_refresh_request", jobId, new JsonObject()
        .put("current_token_expired", true).put("last_successful_request", "2025-07-30T10:00:00Z")
        .put("error_details", "401 Unauthorized"));
    assertThat(reply.getJsonArray("frames")).hasSize(1);
    JsonObject frame = reply.getJsonArray("frames").getJsonObject(0);
    assertThat(frame.getString("type")).isEqualTo("token_refresh_response");
    assertThat(frame.getString("jobId")).isEqualTo(jobId);
    return frame.getJsonObject("data");
  }

  @Test
  @DisplayName("a hub.tokens.refresh consumer provides the token, which is stored on the job and answered with its expiry")
  void busProvider() {
    // GIVEN a token provider on the bus
    hub = JobsHarness.start(JobsHarness.baseConfig(TestDatabase.freshDatabase()));
    AtomicReference<JsonObject> asked = new AtomicReference<>();
    JobsHarness.get(hub.vertx.eventBus().<JsonObject>consumer(Addresses.TOKENS_REFRESH, m -> {
      asked.set(m.body());
      m.reply(new JsonObject().put("accessToken", "glpat-fresh").put("expiresAt", "2030-01-01T00:00:00Z"));
    }).completion());
    String id = leasedJob();

    // WHEN the crawler asks for a new token
    JsonObject data = refresh("crawler-1", id);

    // THEN
    assertThat(data.getBoolean("refreshSuccessful")).isTrue();
    assertThat(data.getString("accessToken")).isEqualTo("glpat-fresh");
    assertThat(data.getString("expiresAt")).isEqualTo("2030-01-01T00:00:00Z");
    assertThat(asked.get().getString("jobId")).isEqualTo(id);
    assertThat(asked.get().getString("crawlerId")).isEqualTo("crawler-1");
    assertThat(asked.get().getBoolean("currentTokenExpired")).isTrue();
    assertThat(asked.get().getString("errorDetails")).isEqualTo("401 Unauthorized");
    assertThat(hub.job(id).getString("access_token")).isEqualTo("glpat-fresh");
    assertThat(hub.job(id).getOffsetDateTime("token_expires_at")).isNotNull();
  }

  @Test
  @DisplayName("without a bus provider the HTTP callback is used; an unknown expiry is omitted, never invented")
  void httpCallback() {
    // GIVEN an HTTP token callback
    io.vertx.core.Vertx side = io.vertx.core.Vertx.vertx();
    try {
      AtomicReference<JsonObject> asked = new AtomicReference<>();
      HttpServer server = JobsHarness.get(side.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
        asked.set(b.toJsonObject());
        req.response().putHeader("content-type", "application/json")
            .end(new JsonObject().put("accessToken", "glpat-http").encode());
      })).listen(0, "127.0.0.1"));
      hub = JobsHarness.start(JobsHarness.baseConfig(TestDatabase.freshDatabase())
          .put("tokenRefresh", new JsonObject().put("url", "http://127.0.0.1:" + server.actualPort() + "/token")
              .put("timeout", 5000)));
      String id = leasedJob();

      // WHEN the crawler asks for a new token
      JsonObject data = refresh("crawler-1", id);

      // THEN
      assertThat(data.getBoolean("refreshSuccessful")).isTrue();
      assertThat(data.getString("accessToken")).isEqualTo("glpat-http");
      assertThat(data.containsKey("expiresAt")).isFalse();
      assertThat(asked.get().getString("jobId")).isEqualTo(id);
      assertThat(hub.job(id).getString("access_token")).isEqualTo("glpat-http");
    } finally {
      JobsHarness.get(side.close());
    }
  }

  @Test
  @DisplayName("with no provider at all the crawler still gets exactly one response: refreshSuccessful false with an error")
  void noProvider() {
    // GIVEN no hub.tokens.refresh consumer and no tokenRefresh.url
    hub = JobsHarness.start(JobsHarness.baseConfig(TestDatabase.freshDatabase()));
    String id = leasedJob();

    // WHEN the lease holder and another crawler ask for a token
    JsonObject data = refresh("crawler-1", id);
    JsonObject foreign = refresh("crawler-2", id);

    // THEN both get exactly one failed response saying why, and the stored token is unchanged
    assertThat(data.getBoolean("refreshSuccessful")).isFalse();
    assertThat(data.getString("accessToken")).isEmpty();
    assertThat(data.getString("error")).contains("no token provider");
    assertThat(foreign.getBoolean("refreshSuccessful")).isFalse();
    assertThat(foreign.getString("error")).contains("STALE_LEASE");
    assertThat(hub.job(id).getString("access_token")).isEqualTo("glpat-secret-t/one");
  }
}
