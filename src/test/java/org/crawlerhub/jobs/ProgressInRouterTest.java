package org.crawlerhub.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.crawlerhub.jobs.JobsHarness.envelope;
import static org.crawlerhub.jobs.JobsHarness.get;
import static org.crawlerhub.jobs.JobsHarness.progress;
import static org.crawlerhub.jobs.JobsHarness.spec;

import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryContext;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.bus.LeaseView;
import org.crawlerhub.protocol.JobCommand;
import org.crawlerhub.protocol.JobCommandBatch;
import org.crawlerhub.router.RouterVerticle;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The router answers a job_progress from the jobs service's lease view when that is safe, and the
 * jobs service still records it (ARCHITECTURE "Message flow" 3). A real router and a real jobs
 * service on a real PostgreSQL, driven exactly as the gateway drives the router.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
@DisplayName("job_progress answered by the router from the lease view")
class ProgressInRouterTest {
  private JobsHarness hub;
  /** What the router sent to the jobs service's batch address: body, and whether a reply was asked for. */
  private final List<Sent> toJobs = new CopyOnWriteArrayList<>();

  private record Sent(JobCommandBatch batch, boolean request) {}

  @BeforeEach
  void start() {
    hub = JobsHarness.start(JobsHarness.baseConfig(TestDatabase.freshDatabase()));
    hub.vertx.eventBus().addOutboundInterceptor((DeliveryContext<Object> ctx) -> {
      if (Addresses.JOBS_COMMAND_BATCH.equals(ctx.message().address()) && ctx.body() instanceof JobCommandBatch b) {
        toJobs.add(new Sent(b, ctx.message().replyAddress() != null));
      }
      ctx.next();
    });
    get(RouterVerticle.deploy(hub.vertx, hub.cfg));
  }

  @AfterEach
  void stop() {
    hub.close();
  }

  /** One gateway batch to router partition 0 (the only one): each message's frames, in order. */
  private Future<JsonArray> batch(String crawlerId, JsonObject... envelopes) {
    DeliveryOptions opts = new DeliveryOptions()
        .addHeader("connectionId", "conn-" + crawlerId)
        .addHeader("crawlerId", crawlerId)
        .addHeader("nodeId", JobsHarness.NODE)
        .addHeader("transport", "unix")
        .setLocalOnly(true)
        .setSendTimeout(60_000);
    JsonObject body = new JsonObject().put("batch", new JsonArray(List.of((Object[]) envelopes)));
    return hub.vertx.eventBus().<JsonObject>request(Addresses.inboundBatchPartition(0), body, opts)
        .map(m -> {
          JsonArray out = new JsonArray();
          m.body().getJsonArray("replies").forEach(r -> out.add(((JsonObject) r).getJsonArray("frames")));
          return out;
        });
  }

  private static String errorCodeIn(JsonArray frames) {
    for (Object f : frames) {
      JsonObject o = (JsonObject) f;
      if ("error".equals(o.getString("type"))) {
        return o.getJsonObject("data").getString("code");
      }
    }
    return null;
  }

  private static JsonObject progressWithPage(long processed, int page) {
    return progress(processed, 100).put("resumeState", new JsonObject().put("currentPage", page));
  }

  /** A job claimed by and running under crawler-1 (attempt 1). */
  private String runningJob() {
    String id = hub.enqueue(spec("group/app", 1)).get(0);
    assertThat(hub.request("crawler-1", 1)).hasSize(1);
    assertThat(hub.command("crawler-1", "job_started", id, new JsonObject()).getJsonArray("frames")).isEmpty();
    LeaseView view = LeaseView.of(hub.vertx);
    await().atMost(Duration.ofSeconds(5)).until(() -> view.running(id) != null);
    return id;
  }

  @Test
  @DisplayName("progress of a running job is accepted by the router, sent on as the latest only (without a reply), and stored")
  void acceptedAndStored() {
    // GIVEN a job running under crawler-1
    String id = runningJob();
    toJobs.clear();

    // WHEN crawler-1 sends three progress messages in one read, the last one without a resume state
    JsonArray replies = get(batch("crawler-1", envelope("job_progress", id, progressWithPage(10, 1)),
        envelope("job_progress", id, progressWithPage(20, 2)), envelope("job_progress", id, progress(30, 100))));

    // THEN each is accepted with nothing to write
    assertThat(replies).hasSize(3);
    replies.forEach(frames -> assertThat((JsonArray) frames).isEmpty());
    // AND the jobs service got one message, sent without asking for a reply: the latest progress,
    // accepted under attempt 1, with the latest resume state any of them carried
    assertThat(toJobs).hasSize(1);
    assertThat(toJobs.get(0).request()).isFalse();
    List<JobCommand> commands = toJobs.get(0).batch().commands();
    assertThat(commands).hasSize(1);
    assertThat(commands.get(0).acceptedAttempt()).isEqualTo(1);
    assertThat(commands.get(0).data().getLong("processed")).isEqualTo(30L);
    assertThat(commands.get(0).resumeState().getInteger("currentPage")).isEqualTo(2);
    // AND the flush stores it, resume state included
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      Row row = hub.job(id);
      assertThat(((JsonObject) row.getJson("progress")).getLong("processed")).isEqualTo(30L);
      assertThat(((JsonObject) row.getJson("resume_state")).getInteger("currentPage")).isEqualTo(2);
    });
  }

  @Test
  @DisplayName("a job_progress alone in its read is accepted by the router too, not sent to the jobs service as a request")
  void loneProgressAcceptedHere() {
    // GIVEN a job running under crawler-1
    String id = runningJob();
    toJobs.clear();

    // WHEN crawler-1's read holds a single progress message (a crawler reporting every few hundred
    // ms sends each in a read of its own)
    JsonArray replies = get(batch("crawler-1", envelope("job_progress", id, progressWithPage(7, 3))));

    // THEN it is accepted, and the jobs service got it as accepted progress without being asked
    // for a reply (not as a command to judge and answer first)
    assertThat(replies).hasSize(1);
    assertThat(replies.getJsonArray(0)).isEmpty();
    assertThat(toJobs).hasSize(1);
    assertThat(toJobs.get(0).request()).isFalse();
    assertThat(toJobs.get(0).batch().commands()).singleElement()
        .satisfies(c -> assertThat(c.acceptedAttempt()).isEqualTo(1));
    // AND it is stored like any other
    await().atMost(Duration.ofSeconds(10)).until(() -> Long.valueOf(7L).equals(storedProcessed(id)));
  }

  @Test
  @DisplayName("a job_completed still in flight sends the progress after it to the jobs service: ILLEGAL_TRANSITION in its place")
  void lifecycleInFlightFirst() {
    // GIVEN a job running under crawler-1
    String id = runningJob();

    // WHEN job_completed goes alone (a single request), and the next read brings progress of the
    // same job before the completion is answered
    Future<JsonArray> completed = batch("crawler-1", envelope("job_completed", id,
        new JsonObject().put("success", true).put("finalCounts", new JsonObject().put("issues", 3))));
    Future<JsonArray> late = batch("crawler-1", envelope("job_progress", id, progress(40, 100)),
        envelope("job_progress", id, progress(50, 100)));

    // THEN the completion is accepted and both progress messages are refused by the jobs service
    assertThat(get(completed).getJsonArray(0)).isEmpty();
    JsonArray lateReplies = get(late);
    assertThat(errorCodeIn(lateReplies.getJsonArray(0))).isEqualTo("ILLEGAL_TRANSITION");
    assertThat(errorCodeIn(lateReplies.getJsonArray(1))).isEqualTo("ILLEGAL_TRANSITION");
    assertThat(hub.job(id).getString("status")).isEqualTo("completed");
    assertThat(LeaseView.of(hub.vertx).running(id)).isNull();
  }

  @Test
  @DisplayName("in one read, progress after a job_failed of the same job is judged after it")
  void lifecycleEarlierInTheSameRead() {
    // GIVEN a job running under crawler-1
    String id = runningJob();

    // WHEN progress, job_failed and progress again arrive in one read
    JsonArray replies = get(batch("crawler-1", envelope("job_progress", id, progress(10, 100)),
        envelope("job_failed", id, new JsonObject().put("error", "boom").put("isRecoverable", false)),
        envelope("job_progress", id, progress(20, 100))));

    // THEN the first progress is accepted, the failure too, the last progress is refused
    assertThat(replies.getJsonArray(0)).isEmpty();
    assertThat(replies.getJsonArray(1)).isEmpty();
    assertThat(errorCodeIn(replies.getJsonArray(2))).isEqualTo("ILLEGAL_TRANSITION");
  }

  @Test
  @DisplayName("progress from a crawler that does not hold the lease still gets STALE_LEASE from the jobs service")
  void otherCrawler() {
    // GIVEN a job running under crawler-1
    String id = runningJob();

    // WHEN crawler-2 reports progress on it
    JsonArray replies = get(batch("crawler-2", envelope("job_progress", id, progress(10, 100)),
        envelope("job_progress", id, progress(20, 100))));

    // THEN both are refused as stale leases and nothing of crawler-2's is stored
    assertThat(errorCodeIn(replies.getJsonArray(0))).isEqualTo("STALE_LEASE");
    assertThat(errorCodeIn(replies.getJsonArray(1))).isEqualTo("STALE_LEASE");
  }

  @Test
  @DisplayName("progress accepted while the job ran but recorded after it completed is dropped, not stored")
  void recordedOnlyUnderTheSameLease() {
    // GIVEN a job of crawler-1 with progress stored, then completed (the row keeps its lease owner
    // and attempt, so only the jobs service's own check can keep a late record out)
    String id = runningJob();
    assertThat(get(batch("crawler-1", envelope("job_progress", id, progress(10, 100)),
        envelope("job_progress", id, progress(11, 100))))).hasSize(2);
    await().atMost(Duration.ofSeconds(10)).until(() -> Long.valueOf(11L).equals(storedProcessed(id)));
    assertThat(hub.command("crawler-1", "job_completed", id, new JsonObject().put("success", true)
        .put("finalCounts", new JsonObject().put("issues", 11))).getJsonArray("frames")).isEmpty();
    assertThat(LeaseView.of(hub.vertx).running(id)).isNull();

    // WHEN a progress accepted earlier under attempt 1 reaches the jobs service only now
    DeliveryOptions opts = new DeliveryOptions().addHeader("connectionId", "conn-crawler-1")
        .addHeader("crawlerId", "crawler-1").addHeader("nodeId", JobsHarness.NODE).addHeader("transport", "unix");
    JsonObject env = envelope("job_progress", id, progress(99, 100));
    hub.vertx.eventBus().send(Addresses.JOBS_COMMAND_BATCH, new JobCommandBatch(List.of(
        JobCommand.acceptedProgress(id, env, env.getJsonObject("data"), null, 1))), opts);

    // THEN it is not stored: through several flushes (100 ms apart here) the job keeps what it had
    // when it completed
    await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(3))
        .until(() -> Long.valueOf(11L).equals(storedProcessed(id)));
    assertThat(hub.job(id).getString("status")).isEqualTo("completed");
  }

  private Long storedProcessed(String id) {
    Object stored = hub.job(id).getJson("progress");
    return stored instanceof JsonObject p ? p.getLong("processed") : null;
  }
}
