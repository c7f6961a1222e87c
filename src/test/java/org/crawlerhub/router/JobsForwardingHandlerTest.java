package org.crawlerhub.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.crawlerhub.router.RouterTestSupport.await;
import static org.crawlerhub.router.RouterTestSupport.jobRequest;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.protocol.ErrorCode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class JobsForwardingHandlerTest {
  private Vertx vertx;

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stopVertx() {
    await(vertx.close());
  }

  private static RoutedMessage jobRequestFrom(String crawlerId) {
    return new RoutedMessage("job_request", jobRequest(2), "c1", crawlerId, "n1", "unix", System.nanoTime());
  }

  @Test
  @DisplayName("a jobs service that does not answer in time gives a retryable INTERNAL and an empty job_response")
  void timeout() {
    // GIVEN a jobs service that never replies and a forwarder with a 100 ms timeout
    await(vertx.eventBus().<JsonObject>consumer(Addresses.JOBS_COMMAND, m -> { }).completion());
    JobsForwardingHandler handler = new JobsForwardingHandler(vertx.eventBus(), 100);
    // WHEN a job_request is forwarded
    HandlerResult r = await(handler.handle(jobRequestFrom("crawler-1")));
    // THEN it is rejected as INTERNAL, transient, with exactly one empty job_response to send first
    assertThat(r.success()).isFalse();
    assertThat(r.error().code()).isEqualTo(ErrorCode.INTERNAL);
    assertThat(r.error().getMessage()).isEqualTo("job service unavailable: no reply within 100 ms");
    assertThat(r.shouldRetry()).isTrue();
    JsonArray frames = r.frames();
    assertThat(frames).hasSize(1);
    assertThat(frames.getJsonObject(0).getString("type")).isEqualTo("job_response");
    assertThat(frames.getJsonObject(0).getJsonObject("data").getJsonArray("jobs")).isEmpty();
  }

  @Test
  @DisplayName("an error reply that carries its own job_response is not given a second one")
  void errorReplyWithFrames() {
    // GIVEN a jobs service that refuses but still answers with a job_response
    JsonObject refusal = new JsonObject()
        .put("frames", new JsonArray().add(new JsonObject().put("type", "job_response")
            .put("data", new JsonObject().put("jobs", new JsonArray()))))
        .put("error", new JsonObject().put("code", "VALIDATION_FAILED").put("message", "data.maxJobs: must be >= 0"));
    await(vertx.eventBus().<JsonObject>consumer(Addresses.JOBS_COMMAND, m -> m.reply(refusal)).completion());
    JobsForwardingHandler handler = new JobsForwardingHandler(vertx.eventBus());
    // WHEN a job_request is forwarded
    HandlerResult r = await(handler.handle(jobRequestFrom("crawler-1")));
    // THEN the code is kept and there is exactly the one job_response
    assertThat(r.error().code()).isEqualTo(ErrorCode.VALIDATION_FAILED);
    assertThat(r.error().getMessage()).isEqualTo("data.maxJobs: must be >= 0");
    assertThat(r.frames()).hasSize(1);
  }

  @Test
  @DisplayName("a job_request for no jobs (maxJobs 0) is answered by the router itself with an empty job_response")
  void noJobsWantedAnsweredHere() {
    // GIVEN no jobs service at all (anything forwarded would fail with "no consumer")
    JobsForwardingHandler handler = new JobsForwardingHandler(vertx.eventBus(), 100);
    // WHEN a job_request with maxJobs 0 is handled
    HandlerResult r = await(handler.handle(new RoutedMessage("job_request", jobRequest(0), "c1", "crawler-1", "n1",
        "unix", System.nanoTime())));
    // THEN it is accepted with exactly one empty job_response
    assertThat(r.success()).isTrue();
    assertThat(r.frames()).hasSize(1);
    assertThat(r.frames().getJsonObject(0).getString("type")).isEqualTo("job_response");
    assertThat(r.frames().getJsonObject(0).getJsonObject("data").getJsonArray("jobs")).isEmpty();
    // AND a job_request for one job still goes to the jobs service (and fails here: there is none)
    HandlerResult one = await(handler.handle(jobRequestFrom("crawler-1")));
    assertThat(one.success()).isFalse();
    assertThat(one.error().code()).isEqualTo(ErrorCode.INTERNAL);
  }
}
