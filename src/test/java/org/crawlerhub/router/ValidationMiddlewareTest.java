package org.crawlerhub.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.ProtocolException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ValidationMiddlewareTest {
  private final ValidationMiddleware validation = new ValidationMiddleware();

  private static RoutedMessage of(JsonObject env) {
    return new RoutedMessage(RoutedMessage.typeOf(env), env, "c1", "crawler-1", "n1", "unix", 0);
  }

  private ProtocolException rejection(JsonObject env) {
    Future<JsonObject> f = validation.beforeProcess(of(env));
    assertThat(f.isComplete()).as("validation is synchronous").isTrue();
    assertThat(f.failed()).as("rejected").isTrue();
    return (ProtocolException) f.cause();
  }

  @Test
  @DisplayName("a valid message passes unchanged without allocating a new future")
  void validPasses() {
    // GIVEN a valid heartbeat
    JsonObject env = RouterTestSupport.heartbeat("idle", 0, 0);
    // WHEN validated, THEN it passes with the shared proceed result
    assertThat(validation.beforeProcess(of(env))).isSameAs(RouterMiddleware.proceed());
  }

  @Test
  @DisplayName("each envelope fault is rejected with its exact code and names the field")
  void exactCodes() {
    // WHEN job_progress has no jobId, THEN MISSING_JOB_ID
    ProtocolException missing = rejection(RouterTestSupport.envelope("job_progress", null, new JsonObject()));
    assertThat(missing.code()).isEqualTo(ErrorCode.MISSING_JOB_ID);
    assertThat(missing.getMessage()).contains("jobId");
    // WHEN the data is not an object, THEN VALIDATION_FAILED naming data
    ProtocolException data = rejection(new JsonObject().put("type", "heartbeat").put("timestamp", "t")
        .put("data", "x"));
    assertThat(data.code()).isEqualTo(ErrorCode.VALIDATION_FAILED);
    assertThat(data.getMessage()).contains("data");
    // WHEN the type is a number, THEN VALIDATION_FAILED naming type
    ProtocolException type = rejection(new JsonObject().put("type", 3).put("data", new JsonObject()));
    assertThat(type.code()).isEqualTo(ErrorCode.VALIDATION_FAILED);
    assertThat(type.getMessage()).startsWith("type:");
    // WHEN a hub->crawler type is sent inbound, THEN UNKNOWN_TYPE
    assertThat(rejection(RouterTestSupport.envelope("welcome", null, new JsonObject())).code())
        .isEqualTo(ErrorCode.UNKNOWN_TYPE);
  }

  @Test
  @DisplayName("a type unknown to the protocol is left to the handler lookup")
  void unknownTypesAreLeftToHandlers() {
    // WHEN an application-specific type is validated, THEN it passes here
    assertThat(validation.beforeProcess(of(RouterTestSupport.envelope("crawler_metrics", null,
        new JsonObject()))).succeeded()).isTrue();
  }
}
