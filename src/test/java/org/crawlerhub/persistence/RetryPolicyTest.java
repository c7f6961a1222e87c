package org.crawlerhub.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RetryPolicyTest {
  private final RetryPolicy policy = new RetryPolicy(5000, 300_000);

  @Test
  @DisplayName("the backoff doubles per attempt from retryDelay and is capped at retryMaxDelay")
  void backoff() {
    assertThat(policy.delayFor(1)).isEqualTo(5000);
    assertThat(policy.delayFor(2)).isEqualTo(10_000);
    assertThat(policy.delayFor(3)).isEqualTo(20_000);
    assertThat(policy.delayFor(7)).isEqualTo(300_000);
    assertThat(policy.delayFor(500)).isEqualTo(300_000);
  }

  @Test
  @DisplayName("a recoverable failure with attempts left is retried; otherwise the job is dead")
  void decisions() {
    assertThat(policy.decide(true, 1, 4)).isEqualTo(new RetryPolicy.Decision("retry", 5000));
    assertThat(policy.decide(true, 4, 4).action()).isEqualTo("dead");
    assertThat(policy.decide(false, 1, 4).action()).isEqualTo("dead");
    JsonObject failed = new JsonObject().put("jobId", "j").put("to", "failed").put("attempt", 2).put("maxAttempts", 4)
        .put("details", new JsonObject().put("recoverable", true));
    assertThat(policy.decide(failed).toRequest("j", 2)).isEqualTo(new JsonObject().put("jobId", "j")
        .put("attempt", 2).put("action", "retry").put("delayMs", 10_000L));
  }
}
