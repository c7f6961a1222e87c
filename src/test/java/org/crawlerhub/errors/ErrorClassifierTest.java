package org.crawlerhub.errors;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.protocol.ErrorCategory;
import org.crawlerhub.protocol.Severity;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ErrorClassifierTest {
  private final ErrorClassifier classifier = new ErrorClassifier();

  private ErrorClassifier.Classification classify(JsonObject report) {
    return classifier.classify(report);
  }

  @Test
  @DisplayName("protocol error codes take their category and severity from ErrorCode")
  void protocolCodes() {
    // GIVEN router rejections WHEN classified THEN ErrorCode decides
    var validation = classify(new JsonObject().put("code", "VALIDATION_FAILED").put("message", "data.processed: required"));
    assertThat(validation.category()).isEqualTo(ErrorCategory.MESSAGE_VALIDATION);
    assertThat(validation.severity()).isEqualTo(Severity.LOW);
    assertThat(validation.retryable()).isFalse();
    var auth = classify(new JsonObject().put("code", "UNAUTHENTICATED").put("message", "bad token"));
    assertThat(auth.category()).isEqualTo(ErrorCategory.AUTHENTICATION);
    assertThat(auth.severity()).isEqualTo(Severity.HIGH);
    var stale = classify(new JsonObject().put("code", "STALE_LEASE").put("message", "lease moved"));
    assertThat(stale.category()).isEqualTo(ErrorCategory.JOB_PROCESSING);
    assertThat(stale.severity()).isEqualTo(Severity.MEDIUM);
  }

  @Test
  @DisplayName("an explicit category and severity in the report win over the code")
  void explicitWins() {
    var c = classify(new JsonObject().put("code", "INTERNAL").put("category", "database").put("severity", "critical")
        .put("message", "pool exhausted"));
    assertThat(c.category()).isEqualTo(ErrorCategory.DATABASE);
    assertThat(c.severity()).isEqualTo(Severity.CRITICAL);
    assertThat(c.retryable()).isTrue();
  }

  @Test
  @DisplayName("reports without code or category are classified from their message and source")
  void keywordClassification() {
    assertThat(classify(new JsonObject().put("message", "request timed out after 30s")).category())
        .isEqualTo(ErrorCategory.TIMEOUT);
    assertThat(classify(new JsonObject().put("message", "GitLab answered 429 Too Many Requests")).category())
        .isEqualTo(ErrorCategory.RATE_LIMITING);
    assertThat(classify(new JsonObject().put("message", "write failed").put("source", "persistence")).category())
        .isEqualTo(ErrorCategory.DATABASE);
    assertThat(classify(new JsonObject().put("message", "getaddrinfo ENOTFOUND gitlab.local")).category())
        .isEqualTo(ErrorCategory.NETWORK);
    var unknown = classify(new JsonObject().put("message", "something odd"));
    assertThat(unknown.category()).isEqualTo(ErrorCategory.INTERNAL);
    assertThat(unknown.severity()).isEqualTo(Severity.HIGH);
  }

  @Test
  @DisplayName("failed and lease-expired job events are errors; other transitions are not")
  void jobEvents() {
    // GIVEN a recoverable and a permanent failure, a lease expiry and an ordinary transition
    JsonObject recoverable = new JsonObject().put("jobId", "j1").put("from", "running").put("to", "failed")
        .put("attempt", 1).put("crawlerId", "c1").put("reason", "job_failed")
        .put("details", new JsonObject().put("recoverable", true).put("error", "502 Bad Gateway").put("errorType", "http"));
    JsonObject permanent = recoverable.copy().put("details", new JsonObject().put("recoverable", false).put("error", "404"));
    JsonObject lease = new JsonObject().put("jobId", "j2").put("from", "running").put("to", "queued").put("attempt", 2)
        .put("crawlerId", "c2").put("reason", "lease_expired");
    JsonObject ordinary = new JsonObject().put("jobId", "j3").put("from", "assigned").put("to", "running").put("reason", "job_started");
    // WHEN derived and classified THEN
    var r1 = classifier.fromJobEvent(recoverable);
    assertThat(classify(r1).category()).isEqualTo(ErrorCategory.JOB_PROCESSING);
    assertThat(classify(r1).severity()).isEqualTo(Severity.MEDIUM);
    assertThat(classify(r1).retryable()).isTrue();
    assertThat(r1.getString("message")).contains("502 Bad Gateway");
    var r2 = classifier.fromJobEvent(permanent);
    assertThat(classify(r2).severity()).isEqualTo(Severity.HIGH);
    assertThat(classify(r2).retryable()).isFalse();
    var r3 = classifier.fromJobEvent(lease);
    assertThat(classify(r3).category()).isEqualTo(ErrorCategory.TIMEOUT);
    assertThat(r3.getString("code")).isEqualTo(ErrorClassifier.LEASE_EXPIRED);
    assertThat(classifier.fromJobEvent(ordinary)).isNull();
  }

  @Test
  @DisplayName("heartbeat timeouts, rejections and connection errors are classified by kind")
  void crawlerEvents() {
    JsonObject base = new JsonObject().put("connectionId", "conn-1").put("crawlerId", "c1").put("nodeId", "n1");
    var timeout = classify(classifier.fromCrawlerEvent(base.copy().put("event", "heartbeat_timeout")));
    assertThat(timeout.category()).isEqualTo(ErrorCategory.TIMEOUT);
    assertThat(timeout.severity()).isEqualTo(Severity.MEDIUM);
    var unauth = classify(classifier.fromCrawlerEvent(base.copy().put("event", "rejected").put("code", "UNAUTHENTICATED")));
    assertThat(unauth.category()).isEqualTo(ErrorCategory.AUTHENTICATION);
    assertThat(unauth.severity()).isEqualTo(Severity.HIGH);
    var limit = classify(classifier.fromCrawlerEvent(base.copy().put("event", "rejected").put("reason", "over maxConnections")));
    assertThat(limit.category()).isEqualTo(ErrorCategory.RESOURCE);
    var error = classify(classifier.fromCrawlerEvent(base.copy().put("event", "error").put("reason", "ECONNRESET")));
    assertThat(error.category()).isEqualTo(ErrorCategory.CONNECTION);
    assertThat(classifier.fromCrawlerEvent(base.copy().put("event", "connected"))).isNull();
  }
}
