package org.crawlerhub.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.ProtocolException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RateLimitMiddlewareTest {
  private static final long SECOND = 1_000_000_000L;

  private final AtomicLong clock = new AtomicLong(42 * SECOND);

  private static RoutedMessage from(String connectionId) {
    return new RoutedMessage("heartbeat", new JsonObject().put("type", "heartbeat"), connectionId,
        connectionId, "node-1", "unix", 0);
  }

  private static ErrorCode outcome(Future<JsonObject> f) {
    assertThat(f.isComplete()).as("rate limiting is synchronous").isTrue();
    return f.succeeded() ? null : ((ProtocolException) f.cause()).code();
  }

  @Test
  @DisplayName("a connection may send the configured messages per second, the next one is RATE_LIMITED")
  void limitsAtTheConfiguredRate() {
    // GIVEN a limit of 5 messages per second and a frozen clock
    RateLimitMiddleware limiter = new RateLimitMiddleware(5, 100, clock::get);
    // WHEN one connection sends 5 messages at once, THEN all pass
    for (int i = 0; i < 5; i++) {
      assertThat(outcome(limiter.beforeProcess(from("c1")))).isNull();
    }
    // WHEN it sends a 6th in the same instant, THEN it is RATE_LIMITED
    assertThat(outcome(limiter.beforeProcess(from("c1")))).isEqualTo(ErrorCode.RATE_LIMITED);
    // WHEN 200 ms pass (one token at 5/s), THEN exactly one more passes
    clock.addAndGet(SECOND / 5);
    assertThat(outcome(limiter.beforeProcess(from("c1")))).isNull();
    assertThat(outcome(limiter.beforeProcess(from("c1")))).isEqualTo(ErrorCode.RATE_LIMITED);
  }

  @Test
  @DisplayName("buckets are per connection and reset when the connection closes")
  void perConnectionAndResetOnClose() {
    // GIVEN a limit of 2/s and connection c1 exhausted
    RateLimitMiddleware limiter = new RateLimitMiddleware(2, 100, clock::get);
    limiter.beforeProcess(from("c1"));
    limiter.beforeProcess(from("c1"));
    assertThat(outcome(limiter.beforeProcess(from("c1")))).isEqualTo(ErrorCode.RATE_LIMITED);
    // WHEN another connection sends, THEN it is not affected
    assertThat(outcome(limiter.beforeProcess(from("c2")))).isNull();
    // WHEN c1 closes, THEN its state is gone and a new c1 starts with a full bucket
    limiter.connectionClosed("c1");
    assertThat(limiter.trackedConnections()).isEqualTo(1);
    assertThat(outcome(limiter.beforeProcess(from("c1")))).isNull();
    assertThat(outcome(limiter.beforeProcess(from("c1")))).isNull();
  }

  @Test
  @DisplayName("memory stays bounded: idle buckets are swept and the number of buckets is capped")
  void boundedMemory() {
    // GIVEN a cap of 1024 buckets (the minimum)
    RateLimitMiddleware limiter = new RateLimitMiddleware(10, 1, clock::get);
    // WHEN 5000 connections send once
    for (int i = 0; i < 5000; i++) {
      limiter.beforeProcess(from("c" + i));
    }
    // THEN no more than the cap is kept
    assertThat(limiter.trackedConnections()).isEqualTo(1024);
    // WHEN one connection stays active and a second passes for everyone else
    clock.addAndGet(SECOND);
    limiter.beforeProcess(from("c4999"));
    limiter.sweepIdle();
    // THEN only the active connection is still tracked
    assertThat(limiter.trackedConnections()).isEqualTo(1);
  }
}
