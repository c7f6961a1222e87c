package org.crawlerhub.router;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LoggingMiddlewareTest {

  @Test
  @DisplayName("masking hides data.token, accessToken and access_token at any depth and keeps everything else")
  void masksTokens() {
    // GIVEN an envelope with secrets in data, in nested objects and in arrays
    JsonObject env = new JsonObject().put("type", "hello").put("timestamp", "t")
        .put("data", new JsonObject().put("crawlerId", "crawler-7").put("token", "s3cret")
            .put("job", new JsonObject().put("accessToken", "glpat-1").put("id", "j1"))
            .put("jobs", new JsonArray().add(new JsonObject().put("access_token", "glpat-2").put("id", "j2"))));
    // WHEN it is masked
    JsonObject masked = LoggingMiddleware.masked(env);
    // THEN no secret is left in its text, the other fields are kept, and the original is untouched
    String text = masked.encode();
    assertThat(text).doesNotContain("s3cret", "glpat-1", "glpat-2");
    assertThat(masked.getJsonObject("data").getString("token")).isEqualTo("****");
    assertThat(masked.getJsonObject("data").getJsonObject("job").getString("accessToken")).isEqualTo("****");
    assertThat(masked.getJsonObject("data").getJsonArray("jobs").getJsonObject(0).getString("access_token"))
        .isEqualTo("****");
    assertThat(masked.getJsonObject("data").getString("crawlerId")).isEqualTo("crawler-7");
    assertThat(masked.getJsonObject("data").getJsonObject("job").getString("id")).isEqualTo("j1");
    assertThat(env.getJsonObject("data").getString("token")).isEqualTo("s3cret");
  }

  @Test
  @DisplayName("secret member names are recognised whatever their casing or separators")
  void recognisesSecretNames() {
    assertThat(LoggingMiddleware.isSecret("token")).isTrue();
    assertThat(LoggingMiddleware.isSecret("accessToken")).isTrue();
    assertThat(LoggingMiddleware.isSecret("access_token")).isTrue();
    assertThat(LoggingMiddleware.isSecret("ACCESS-TOKEN")).isTrue();
    assertThat(LoggingMiddleware.isSecret("tokenExpired")).isFalse();
    assertThat(LoggingMiddleware.isSecret("current_token_expired")).isFalse();
  }

  @Test
  @DisplayName("at debug level the middleware logs the message and its outcome without any token")
  void debugLogHasNoTokens() {
    // GIVEN the middleware's logger at debug with a capturing appender
    Logger logger = (Logger) LoggerFactory.getLogger("router-logging-test");
    logger.setLevel(Level.DEBUG);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    LoggingMiddleware mw = new LoggingMiddleware(logger);
    JsonObject env = new JsonObject().put("type", "token_refresh_request").put("jobId", "j1")
        .put("data", new JsonObject().put("token", "s3cret"));
    RoutedMessage m = new RoutedMessage("token_refresh_request", env, "c1", "crawler-7", "n1", "unix",
        System.nanoTime());
    // WHEN a message passes and is answered with a frame carrying a new access token
    mw.beforeProcess(m);
    mw.afterProcess(m, HandlerResult.accepted(new JsonArray().add(new JsonObject()
        .put("type", "token_refresh_response").put("data", new JsonObject().put("accessToken", "glpat-new")))));
    // THEN both lines are logged, name the crawler and contain no secret
    assertThat(appender.list).hasSize(2);
    assertThat(appender.list).allSatisfy(e -> {
      assertThat(e.getFormattedMessage()).contains("crawler-7").doesNotContain("s3cret", "glpat-new");
    });
  }
}
