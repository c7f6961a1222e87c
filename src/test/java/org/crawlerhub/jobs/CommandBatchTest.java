package org.crawlerhub.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.crawlerhub.jobs.JobsHarness.envelope;
import static org.crawlerhub.jobs.JobsHarness.errorCode;
import static org.crawlerhub.jobs.JobsHarness.progress;
import static org.crawlerhub.jobs.JobsHarness.spec;

import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.bus.Addresses;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 90, unit = TimeUnit.SECONDS)
@DisplayName("hub.jobs.command batch form")
class CommandBatchTest extends JobsHarnessTest {
  private JsonArray batch(String crawlerId, JsonObject... envelopes) {
    DeliveryOptions opts = new DeliveryOptions()
        .addHeader("connectionId", "conn-" + crawlerId)
        .addHeader("crawlerId", crawlerId)
        .addHeader("nodeId", JobsHarness.NODE)
        .addHeader("transport", "unix")
        .setSendTimeout(60_000);
    JsonObject body = new JsonObject().put("batch", new JsonArray(List.of((Object[]) envelopes)));
    return JobsHarness.get(hub.vertx.eventBus().<JsonObject>request(Addresses.JOBS_COMMAND_BATCH, body, opts))
        .body().getJsonArray("replies");
  }

  @Test
  @DisplayName("a batch of commands is handled in order with one reply per command, exactly as single commands")
  void batchInOrder() {
    // GIVEN one queued job, and the jobs verticle advertising its batch address
    String id = hub.enqueue(spec("group/app", 1)).get(0);
    assertThat(hub.vertx.sharedData().getLocalMap(Addresses.BATCH_CONSUMERS).get(Addresses.JOBS_COMMAND_BATCH))
        .isNotNull();

    // WHEN crawler-1 claims it, then sends job_started, progress, progress on an unknown job,
    // job_completed, a job_progress after completion and a job_request as one batch
    assertThat(hub.request("crawler-1", 1)).hasSize(1);
    JsonArray replies = batch("crawler-1",
        envelope("job_started", id, new JsonObject()),
        envelope("job_progress", id, progress(50, 100)),
        envelope("job_progress", "no-such-job", progress(1, 2)),
        envelope("job_completed", id, new JsonObject().put("success", true).put("finalCounts", new JsonObject())),
        envelope("job_progress", id, progress(60, 100)),
        envelope("job_request", null, new JsonObject().put("maxJobs", 1)));

    // THEN each command has its reply, in order
    assertThat(replies).hasSize(6);
    assertThat(replies.getJsonObject(0).getJsonArray("frames")).isEmpty();
    assertThat(replies.getJsonObject(1).getJsonArray("frames")).isEmpty();
    assertThat(errorCode(replies.getJsonObject(2))).isEqualTo("UNKNOWN_JOB");
    assertThat(replies.getJsonObject(3).getJsonArray("frames")).isEmpty();
    assertThat(errorCode(replies.getJsonObject(4))).isEqualTo("ILLEGAL_TRANSITION");
    JsonObject response = replies.getJsonObject(5).getJsonArray("frames").getJsonObject(0);
    assertThat(response.getString("type")).isEqualTo("job_response");
    assertThat(response.getJsonObject("data").getJsonArray("jobs")).isEmpty();
    // AND the job went through every transition once
    assertThat(hub.job(id).getString("status")).isEqualTo("completed");
    assertThat(hub.eventsOf(id)).containsExactly("null->queued@1", "queued->assigned@1", "assigned->running@1",
        "running->completed@1");
  }
}
