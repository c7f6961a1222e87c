package org.crawlerhub.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.crawlerhub.jobs.JobsHarness.errorCode;
import static org.crawlerhub.jobs.JobsHarness.progress;
import static org.crawlerhub.jobs.JobsHarness.spec;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 90, unit = TimeUnit.SECONDS)
class JobLifecycleTest extends JobsHarnessTest {
  @Test
  @DisplayName("a job goes queued -> assigned -> running -> completed with one event row and one bus event per transition")
  void happyPath() {
    // GIVEN one queued job
    String id = hub.enqueue(spec("group/app", 1)).get(0);

    // WHEN a crawler claims, starts, reports progress and completes it
    JsonArray jobs = hub.request("crawler-1", 5);
    JsonObject started = hub.command("crawler-1", "job_started", id, new JsonObject().put("entityType", "project").put("entityId", "group/app"));
    JsonObject progressed = hub.command("crawler-1", "job_progress", id, progress(50, 100)
        .put("resumeState", new JsonObject().put("currentPage", 3)));

    // THEN the claim hands out the SimpleJob with its token and the progress is flushed without a transition
    assertThat(jobs).hasSize(1);
    JsonObject simple = jobs.getJsonObject(0);
    assertThat(simple.getString("id")).isEqualTo(id);
    assertThat(simple.getString("entityType")).isEqualTo("project");
    assertThat(simple.getString("entityId")).isEqualTo("group/app");
    assertThat(simple.getString("gitlabUrl")).isEqualTo("https://gitlab.example.com");
    assertThat(simple.getString("accessToken")).isEqualTo("glpat-secret-group/app");
    assertThat(started.getJsonArray("frames")).isEmpty();
    assertThat(progressed.getJsonArray("frames")).isEmpty();
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      Row row = hub.job(id);
      assertThat(row.getJsonObject("progress")).isNotNull();
      assertThat(row.getJsonObject("progress").getInteger("processed")).isEqualTo(50);
      assertThat(row.getJsonObject("resume_state").getInteger("currentPage")).isEqualTo(3);
    });

    // WHEN it completes
    JsonObject completed = hub.command("crawler-1", "job_completed", id,
        new JsonObject().put("success", true).put("finalCounts", new JsonObject().put("issues", 100)));

    // THEN the row, the event history and hub.job.events all show each transition once
    assertThat(completed.getJsonArray("frames")).isEmpty();
    Row row = hub.job(id);
    assertThat(row.getString("status")).isEqualTo("completed");
    assertThat(row.getString("lease_owner")).isEqualTo("crawler-1");
    assertThat(row.getOffsetDateTime("started_at")).isNotNull();
    assertThat(row.getOffsetDateTime("finished_at")).isNotNull();
    assertThat(row.getJsonObject("progress").getJsonObject("finalCounts").getInteger("issues")).isEqualTo(100);
    assertThat(hub.eventsOf(id)).containsExactly("null->queued@1", "queued->assigned@1", "assigned->running@1",
        "running->completed@1");
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(hub.busEvents(id)).extracting(e -> e.getString("to"))
            .containsExactly("queued", "assigned", "running", "completed"));
    JsonObject assigned = hub.busEvents(id).get(1);
    assertThat(assigned.getString("crawlerId")).isEqualTo("crawler-1");
    assertThat(assigned.getInteger("attempt")).isEqualTo(1);
    assertThat(assigned.getInteger("maxAttempts")).isEqualTo(3);
  }

  @Test
  @DisplayName("lifecycle messages for an unknown job, from a crawler without the lease, or illegal in the current state are rejected and change nothing")
  void rejections() {
    // GIVEN a job leased to crawler-1 and completed, and another one leased and running
    List<String> ids = hub.enqueue(spec("a/one", 5), spec("a/two", 1));
    hub.request("crawler-1", 2);
    hub.command("crawler-1", "job_completed", ids.get(0), new JsonObject().put("success", true).put("finalCounts", new JsonObject()));
    hub.command("crawler-1", "job_started", ids.get(1), new JsonObject());

    // WHEN messages arrive that the lifecycle does not allow
    JsonObject unknown = hub.command("crawler-1", "job_progress", "no-such-job", progress(1, 2));
    JsonObject foreign = hub.command("crawler-2", "job_completed", ids.get(1), new JsonObject().put("success", true).put("finalCounts", new JsonObject()));
    JsonObject afterDone = hub.command("crawler-1", "job_progress", ids.get(0), progress(1, 2));
    JsonObject failAfterDone = hub.command("crawler-1", "job_failed", ids.get(0), new JsonObject().put("error", "x").put("isRecoverable", true));

    // THEN each gets its code and the rows are untouched
    assertThat(errorCode(unknown)).isEqualTo("UNKNOWN_JOB");
    assertThat(errorCode(foreign)).isEqualTo("STALE_LEASE");
    assertThat(errorCode(afterDone)).isEqualTo("ILLEGAL_TRANSITION");
    assertThat(errorCode(failAfterDone)).isEqualTo("ILLEGAL_TRANSITION");
    assertThat(hub.job(ids.get(0)).getString("status")).isEqualTo("completed");
    assertThat(hub.job(ids.get(1)).getString("status")).isEqualTo("running");
    assertThat(hub.job(ids.get(1)).getString("lease_owner")).isEqualTo("crawler-1");
    assertThat(hub.eventsOf(ids.get(1))).containsExactly("null->queued@1", "queued->assigned@1", "assigned->running@1");
  }

  @Test
  @DisplayName("a lease loaded from the database after a restart of the jobs service is enforced the same way")
  void leaseLoadedOnMiss() {
    // GIVEN a job assigned to crawler-1 by another jobs service instance (the row only)
    String id = hub.enqueue(spec("x/y", 1)).get(0);
    TestDatabase.exec(hub.cfg.database().url(),
        "UPDATE jobs SET status = 'assigned', lease_owner = 'crawler-9', lease_expires_at = now() + interval '1 hour' WHERE id = '" + id + "'");

    // WHEN crawler-1 and then crawler-9 report on it
    JsonObject foreign = hub.command("crawler-1", "job_started", id, new JsonObject());
    JsonObject owner = hub.command("crawler-9", "job_progress", id, progress(1, 10));

    // THEN the lease from the row decides
    assertThat(errorCode(foreign)).isEqualTo("STALE_LEASE");
    assertThat(owner.getJsonArray("frames")).isEmpty();
    assertThat(hub.job(id).getString("status")).isEqualTo("running");
  }

  @Test
  @DisplayName("job_failed and job_completed{success:false} move the job to failed with recoverable, error and errorType on the event")
  void failures() {
    // GIVEN two running jobs
    List<String> ids = hub.enqueue(spec("f/one", 2), spec("f/two", 1));
    hub.request("c", 2);

    // WHEN one fails and the other completes unsuccessfully
    hub.command("c", "job_failed", ids.get(0), new JsonObject().put("error", "HTTP 500").put("isRecoverable", false)
        .put("errorType", "gitlab_api").put("resumeState", new JsonObject().put("currentPage", 7)));
    hub.command("c", "job_completed", ids.get(1), new JsonObject().put("success", false).put("finalCounts", new JsonObject()));

    // THEN both are failed; the event carries the details the error manager needs
    assertThat(hub.job(ids.get(0)).getString("status")).isEqualTo("failed");
    assertThat(hub.job(ids.get(0)).getJsonObject("resume_state").getInteger("currentPage")).isEqualTo(7);
    assertThat(hub.job(ids.get(1)).getString("status")).isEqualTo("failed");
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      JsonObject ev = hub.busEvents(ids.get(0)).stream().filter(e -> "failed".equals(e.getString("to"))).findFirst().orElseThrow();
      assertThat(ev.getString("from")).isEqualTo("assigned");
      assertThat(ev.getJsonObject("details").getBoolean("recoverable")).isFalse();
      assertThat(ev.getJsonObject("details").getString("error")).isEqualTo("HTTP 500");
      assertThat(ev.getJsonObject("details").getString("errorType")).isEqualTo("gitlab_api");
      assertThat(hub.busEvents(ids.get(1))).anyMatch(e -> "failed".equals(e.getString("to"))
          && e.getJsonObject("details").getBoolean("recoverable"));
    });
  }

  @Test
  @DisplayName("a retry decision requeues the failed job once with attempt + 1 and its resume state; a dead decision kills it")
  void retryPolicy() {
    // GIVEN two failed jobs (attempt 1 of 3)
    List<String> ids = hub.enqueue(spec("r/one", 1), spec("r/two", 1));
    hub.request("c", 2);
    for (String id : ids) {
      hub.command("c", "job_failed", id, new JsonObject().put("error", "boom").put("isRecoverable", true)
          .put("resumeState", new JsonObject().put("lastEntityId", "42")));
    }

    // WHEN the error manager decides retry (after 200 ms) for one and dead for the other
    JsonObject retried = hub.api(Addresses.JOBS_APPLY_RETRY_POLICY,
        new JsonObject().put("jobId", ids.get(0)).put("attempt", 1).put("action", "retry").put("delayMs", 200));
    JsonObject killed = hub.api(Addresses.JOBS_APPLY_RETRY_POLICY,
        new JsonObject().put("jobId", ids.get(1)).put("attempt", 1).put("action", "dead"));

    // THEN the first is queued again at attempt 2 (exactly once), keeping its resume state; the second is dead
    assertThat(retried.getJsonObject("job").getString("status")).isEqualTo("failed");
    assertThat(retried.getJsonObject("job").getString("notBefore")).isNotNull();
    assertThat(killed.getJsonObject("job").getString("status")).isEqualTo("dead");
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(hub.job(ids.get(0)).getString("status")).isEqualTo("queued"));
    Row row = hub.job(ids.get(0));
    assertThat(row.getInteger("attempt")).isEqualTo(2);
    assertThat(row.getJsonObject("resume_state").getString("lastEntityId")).isEqualTo("42");
    assertThat(hub.eventsOf(ids.get(0))).containsExactly("null->queued@1", "queued->assigned@1",
        "assigned->failed@1", "failed->queued@2");
    assertThat(hub.eventsOf(ids.get(1))).endsWith("failed->dead@1");

    // AND the requeued job is handed out again with its resume state
    JsonArray again = hub.request("d", 5);
    assertThat(again).hasSize(1);
    assertThat(again.getJsonObject(0).getJsonObject("resumeState").getString("lastEntityId")).isEqualTo("42");
  }

  @Test
  @DisplayName("a retry decision for a job out of attempts makes it dead, and a decision for a stale attempt is refused")
  void retryOutOfAttempts() {
    // GIVEN a job with maxAttempts 1 that failed
    String id = hub.enqueue(spec("o/one", 1).put("maxAttempts", 1)).get(0);
    hub.request("c", 1);
    hub.command("c", "job_failed", id, new JsonObject().put("error", "boom").put("isRecoverable", true));

    // WHEN the error manager asks for a retry of attempt 2 (stale), then of attempt 1
    ReplyException stale = catchReply(() -> hub.api(Addresses.JOBS_APPLY_RETRY_POLICY,
        new JsonObject().put("jobId", id).put("attempt", 2).put("action", "retry").put("delayMs", 0)));
    JsonObject reply = hub.api(Addresses.JOBS_APPLY_RETRY_POLICY,
        new JsonObject().put("jobId", id).put("attempt", 1).put("action", "retry").put("delayMs", 0));

    // THEN the stale one is a 409 and the job is dead, never requeued
    assertThat(stale.failureCode()).isEqualTo(409);
    assertThat(reply.getJsonObject("job").getString("status")).isEqualTo("dead");
    assertThat(hub.eventsOf(id)).endsWith("failed->dead@1");
  }

  @Test
  @DisplayName("cancel works from any non-terminal state and is refused for a completed job; the crawler's next message is illegal")
  void cancel() {
    // GIVEN a running job and a completed one
    List<String> ids = hub.enqueue(spec("c/one", 2), spec("c/two", 1));
    hub.request("c", 2);
    hub.command("c", "job_started", ids.get(0), new JsonObject());
    hub.command("c", "job_completed", ids.get(1), new JsonObject().put("success", true).put("finalCounts", new JsonObject()));

    // WHEN both are cancelled
    JsonObject cancelled = hub.api(Addresses.JOBS_CANCEL, new JsonObject().put("id", ids.get(0)));
    ReplyException refused = catchReply(() -> hub.api(Addresses.JOBS_CANCEL, new JsonObject().put("id", ids.get(1))));
    ReplyException missing = catchReply(() -> hub.api(Addresses.JOBS_CANCEL, new JsonObject().put("id", "nope")));

    // THEN
    assertThat(cancelled.getJsonObject("job").getString("status")).isEqualTo("cancelled");
    assertThat(refused.failureCode()).isEqualTo(409);
    assertThat(refused.getMessage()).startsWith("ILLEGAL_TRANSITION:");
    assertThat(missing.failureCode()).isEqualTo(404);
    assertThat(errorCode(hub.command("c", "job_progress", ids.get(0), progress(1, 2)))).isEqualTo("ILLEGAL_TRANSITION");
    assertThat(hub.eventsOf(ids.get(0))).endsWith("running->cancelled@1");
  }

  @Test
  @DisplayName("a crawler never holds more than maxConcurrentJobs leases, and maxJobs 0 answers an empty list")
  void concurrencyCap() {
    // GIVEN 10 queued jobs and maxConcurrentJobs 5 (default)
    JsonObject[] specs = new JsonObject[10];
    for (int i = 0; i < 10; i++) {
      specs[i] = spec("cap/" + i, 1);
    }
    hub.enqueue(specs);

    // WHEN the crawler asks for 4, then 4 more, then 0
    JsonArray first = hub.request("c", 4);
    JsonArray second = hub.request("c", 4);
    JsonArray none = hub.request("c", 0);

    // THEN it gets 4 and then only 1
    assertThat(first).hasSize(4);
    assertThat(second).hasSize(1);
    assertThat(none).isEmpty();
  }

  @Test
  @DisplayName("job_request claims min(maxJobs, maxJobsPerRequest), maxJobsPerRequest when maxJobs is absent, and never a job before its not_before")
  void requestSizes() {
    // GIVEN 12 queued jobs, one of them not due before an hour from now, and no per-crawler cap in the way
    hub.close();
    hub = JobsHarness.start(JobsHarness.baseConfig(TestDatabase.freshDatabase()).put("maxConcurrentJobs", 100));
    JsonObject[] specs = new JsonObject[12];
    for (int i = 0; i < 12; i++) {
      specs[i] = spec("size/" + i, i == 0 ? 9 : 1);
    }
    List<String> ids = hub.enqueue(specs);
    TestDatabase.exec(hub.cfg.database().url(),
        "UPDATE jobs SET not_before = now() + interval '1 hour' WHERE id = '" + ids.get(0) + "'");

    // WHEN requests ask for nothing in particular, for too many, and for the rest
    JsonArray byDefault = hub.command("c", "job_request", null, new JsonObject())
        .getJsonArray("frames").getJsonObject(0).getJsonObject("data").getJsonArray("jobs");
    JsonArray tooMany = hub.request("c", 50);
    JsonArray rest = hub.request("c", 50);

    // THEN 5, 5 and the last 1; the job with not_before in the future (though highest priority) is never handed out
    assertThat(byDefault).hasSize(5);
    assertThat(tooMany).hasSize(5);
    assertThat(rest).hasSize(1);
    assertThat(byDefault.getJsonObject(0).getString("id")).isNotEqualTo(ids.get(0));
    assertThat(hub.job(ids.get(0)).getString("status")).isEqualTo("queued");
  }

  @Test
  @DisplayName("undeploying the jobs service (shutdown) flushes progress that was still waiting for its flush interval")
  void stopFlushesProgress() {
    // GIVEN a hub that flushes progress only once a minute, with a running job
    hub.close();
    String url = TestDatabase.freshDatabase();
    hub = JobsHarness.start(JobsHarness.baseConfig(url).put("progressFlushInterval", 60_000));
    String id = hub.enqueue(spec("stop/one", 1)).get(0);
    hub.request("c", 1);
    hub.command("c", "job_started", id, new JsonObject());
    hub.command("c", "job_progress", id, progress(7, 10));
    assertThat(hub.job(id).getJsonObject("progress")).isNull();

    // WHEN the hub shuts down
    hub.close();

    // THEN the progress is in the database
    JobsHarness check = JobsHarness.start(JobsHarness.baseConfig(url));
    try {
      assertThat(check.job(id).getJsonObject("progress").getInteger("processed")).isEqualTo(7);
    } finally {
      check.close();
    }
    hub = JobsHarness.start(JobsHarness.baseConfig(url));
  }

  @Test
  @DisplayName("an operator assignment marks a queued job assigned to that crawler exactly as a claim would")
  void assign() {
    // GIVEN a queued job
    String id = hub.enqueue(spec("as/one", 1)).get(0);
    // WHEN the gateway asks before writing a job_assignment
    JsonObject reply = hub.api(Addresses.JOBS_ASSIGN, new JsonObject().put("jobId", id).put("crawlerId", "op-crawler"));
    ReplyException again = catchReply(() -> hub.api(Addresses.JOBS_ASSIGN, new JsonObject().put("jobId", id).put("crawlerId", "other")));
    // THEN
    assertThat(reply.getJsonObject("job").getString("status")).isEqualTo("assigned");
    assertThat(reply.getJsonObject("job").getString("leaseOwner")).isEqualTo("op-crawler");
    assertThat(again.failureCode()).isEqualTo(409);
    assertThat(hub.command("op-crawler", "job_started", id, new JsonObject()).getJsonArray("frames")).isEmpty();
    assertThat(hub.job(id).getString("status")).isEqualTo("running");
  }

  static ReplyException catchReply(Runnable r) {
    try {
      r.run();
    } catch (ReplyException e) {
      return e;
    }
    throw new AssertionError("expected a failed reply");
  }

  @Test
  @DisplayName("a job_request sent right behind a job_completed (without waiting for its reply) already counts the freed slot")
  void requestAfterCompletionSeesTheFreedSlot() {
    // GIVEN a crawler limited to one lease, holding one job, and another job queued
    hub.close();
    hub = JobsHarness.start(JobsHarness.baseConfig(TestDatabase.freshDatabase()).put("maxConcurrentJobs", 1));
    List<String> ids = hub.enqueue(spec("s/one", 2), spec("s/two", 1));
    assertThat(hub.request("c", 1)).hasSize(1);

    // WHEN it sends job_completed and job_request back to back, as the router forwards them
    var completed = hub.sendCommand("c", JobsHarness.envelope("job_completed", ids.get(0),
        new JsonObject().put("success", true).put("finalCounts", new JsonObject())));
    var requested = hub.sendCommand("c", JobsHarness.envelope("job_request", null, new JsonObject().put("maxJobs", 1)));

    // THEN the request gets the next job
    assertThat(JobsHarness.get(completed).getJsonArray("frames")).isEmpty();
    JsonArray jobs = JobsHarness.get(requested).getJsonArray("frames").getJsonObject(0).getJsonObject("data").getJsonArray("jobs");
    assertThat(jobs).hasSize(1);
    assertThat(jobs.getJsonObject(0).getString("id")).isEqualTo(ids.get(1));
  }
}
