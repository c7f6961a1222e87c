package org.crawlerhub.errors;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class RetryPolicyTest {
  private final RetryPolicy policy = new RetryPolicy(5_000, 60_000, 4);

  @Test
  @DisplayName("a recoverable failure with attempts left is retried after retryDelay doubled per attempt")
  void backoffDoubles() {
    // GIVEN retryDelay 5 s capped at 60 s WHEN attempts 1..3 fail THEN the delays are 5, 10, 20 s
    assertThat(policy.decide(true, 1, 4)).isEqualTo(new RetryPolicy.Decision("retry", 5_000));
    assertThat(policy.decide(true, 2, 4)).isEqualTo(new RetryPolicy.Decision("retry", 10_000));
    assertThat(policy.decide(true, 3, 4)).isEqualTo(new RetryPolicy.Decision("retry", 20_000));
  }

  @Test
  @DisplayName("the backoff is capped at retryMaxDelay and never overflows")
  void backoffIsCapped() {
    // GIVEN many attempts WHEN the delay is asked THEN it stops at the cap
    assertThat(policy.delayFor(5)).isEqualTo(60_000);
    assertThat(policy.delayFor(64)).isEqualTo(60_000);
    assertThat(policy.delayFor(Integer.MAX_VALUE)).isEqualTo(60_000);
  }

  @Test
  @DisplayName("a failure that is not recoverable, or the last attempt, makes the job dead")
  void deadWhenNotRecoverableOrOutOfAttempts() {
    // WHEN the failure is not recoverable THEN dead
    assertThat(policy.decide(false, 1, 4).action()).isEqualTo("dead");
    // WHEN the last allowed attempt failed THEN dead
    assertThat(policy.decide(true, 4, 4).action()).isEqualTo("dead");
    // WHEN the job has no own bound THEN the configured default (retryAttempts + 1 = 4) applies
    assertThat(policy.decide(true, 3, 0).action()).isEqualTo("retry");
    assertThat(policy.decide(true, 4, 0).action()).isEqualTo("dead");
  }
}
