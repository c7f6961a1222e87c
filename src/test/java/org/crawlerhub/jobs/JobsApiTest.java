package org.crawlerhub.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.crawlerhub.jobs.JobLifecycleTest.catchReply;
import static org.crawlerhub.jobs.JobsHarness.spec;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 90, unit = TimeUnit.SECONDS)
class JobsApiTest {
  private JobsHarness hub;
  private JobsClient client;

  @BeforeEach
  void start() {
    hub = JobsHarness.start(JobsHarness.baseConfig(TestDatabase.freshDatabase()));
    client = new JobsClient(hub.vertx);
  }

  @AfterEach
  void stop() {
    hub.close();
  }

  @Test
  @DisplayName("enqueue validates every job and names each field at fault, creating nothing")
  void validation() {
    // WHEN an array with a good job and two bad ones is posted
    JsonArray jobs = new JsonArray().add(spec("ok/one", 1))
        .add(new JsonObject().put("entityType", "project").put("entityId", "x").put("accessToken", "t"))
        .add(new JsonObject().put("entityType", "planet").put("entityId", 5).put("gitlabUrl", "u").put("accessToken", "t")
            .put("priority", "high"));
    ReplyException e = catchReply(() -> JobsHarness.get(client.enqueueAll(jobs)));

    // THEN one 400 lists every field, and the good job was not created either
    assertThat(e.failureCode()).isEqualTo(400);
    assertThat(e.getMessage()).startsWith("VALIDATION_FAILED: ")
        .contains("jobs[1].gitlabUrl: required string")
        .contains("jobs[2].entityType: must be one of")
        .contains("jobs[2].entityId: required string")
        .contains("jobs[2].priority: must be an integer");
    assertThat(JobsHarness.get(client.stats()).getLong("total")).isZero();
  }

  @Test
  @DisplayName("a client id that exists is a 409 and the whole array is rolled back")
  void clientIdConflict() {
    // GIVEN a job with a client-chosen id
    JsonObject first = JobsHarness.get(client.enqueue(spec("c/one", 1).put("id", "my-job")));
    assertThat(first.getJsonArray("jobs").getJsonObject(0).getString("id")).isEqualTo("my-job");
    assertThat(first.getJsonArray("jobs").getJsonObject(0).containsKey("accessToken")).isFalse();

    // WHEN an array reuses it after a new job
    ReplyException e = catchReply(() -> JobsHarness.get(client.enqueueAll(new JsonArray()
        .add(spec("c/two", 1)).add(spec("c/three", 1).put("id", "my-job")))));

    // THEN 409 and nothing of the array was created
    assertThat(e.failureCode()).isEqualTo(409);
    assertThat(e.getMessage()).startsWith("CONFLICT:");
    assertThat(JobsHarness.get(client.stats()).getLong("total")).isEqualTo(1L);
  }

  @Test
  @DisplayName("an open job for the same entityType + entityId + command is returned instead of a duplicate")
  void openDuplicateReturned() {
    // GIVEN/WHEN the same entity + command is posted twice, and once with another command
    JsonObject first = JobsHarness.get(client.enqueue(spec("d/one", 1).put("command", "crawl")));
    JsonObject second = JobsHarness.get(client.enqueue(spec("d/one", 9).put("command", "crawl")));
    JsonObject otherCommand = JobsHarness.get(client.enqueue(spec("d/one", 1).put("command", "other")));

    // THEN the second post answers the first job, not a new one
    assertThat(first.getJsonArray("created").getBoolean(0)).isTrue();
    assertThat(second.getJsonArray("created").getBoolean(0)).isFalse();
    assertThat(second.getJsonArray("jobs").getJsonObject(0).getString("id"))
        .isEqualTo(first.getJsonArray("jobs").getJsonObject(0).getString("id"));
    assertThat(otherCommand.getJsonArray("created").getBoolean(0)).isTrue();

    // AND once the first is finished, a new one can be created
    String id = first.getJsonArray("jobs").getJsonObject(0).getString("id");
    JobsHarness.get(client.cancel(id));
    assertThat(JobsHarness.get(client.enqueue(spec("d/one", 1).put("command", "crawl")))
        .getJsonArray("created").getBoolean(0)).isTrue();
  }

  @Test
  @DisplayName("list pages newest first with an opaque cursor and filters by status, crawler and parent")
  void listing() {
    // GIVEN 7 jobs, 2 of them claimed by crawler-1
    for (int i = 0; i < 7; i++) {
      hub.enqueue(spec("l/" + i, 1));
    }
    hub.request("crawler-1", 2);

    // WHEN listing 3 at a time
    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      JsonObject q = new JsonObject().put("limit", 3);
      if (cursor != null) {
        q.put("cursor", cursor);
      }
      JsonObject page = JobsHarness.get(client.list(q));
      page.getJsonArray("jobs").forEach(j -> seen.add(((JsonObject) j).getString("entityId")));
      cursor = page.getString("nextCursor");
      pages++;
    } while (cursor != null);

    // THEN every job appears once, newest first, over 3 pages
    assertThat(pages).isEqualTo(3);
    assertThat(seen).containsExactly("l/6", "l/5", "l/4", "l/3", "l/2", "l/1", "l/0");
    assertThat(JobsHarness.get(client.list(new JsonObject().put("status", "assigned"))).getJsonArray("jobs")).hasSize(2);
    assertThat(JobsHarness.get(client.list(new JsonObject().put("crawlerId", "crawler-1"))).getJsonArray("jobs")).hasSize(2);
    assertThat(JobsHarness.get(client.list(new JsonObject().put("spawnedFrom", "none"))).getJsonArray("jobs")).isEmpty();
    assertThat(JobsHarness.get(client.list(new JsonObject().put("limit", 10_000))).getJsonArray("jobs")).hasSize(7);
    assertThat(catchReply(() -> JobsHarness.get(client.list(new JsonObject().put("cursor", "garbage!")))).failureCode())
        .isEqualTo(400);
    assertThat(catchReply(() -> JobsHarness.get(client.list(new JsonObject().put("status", "sleeping")))).failureCode())
        .isEqualTo(400);
  }

  @Test
  @DisplayName("get returns the job with its event history oldest first; stats count by status; retry requeues a cancelled job")
  void getStatsRetry() {
    // GIVEN a job claimed by crawler-1 and then cancelled
    String id = hub.enqueue(spec("g/one", 1)).get(0);
    hub.request("crawler-1", 1);
    JobsHarness.get(client.cancel(id));

    // WHEN it is read, retried and counted
    JsonObject got = JobsHarness.get(client.get(id));
    assertThat(got.getJsonObject("job").getString("status")).isEqualTo("cancelled");
    assertThat(got.getJsonArray("events")).extracting(e -> ((JsonObject) e).getString("to"))
        .containsExactly("queued", "assigned", "cancelled");
    assertThat(got.getJsonArray("events").getJsonObject(1).getString("crawlerId")).isEqualTo("crawler-1");
    assertThat(catchReply(() -> JobsHarness.get(client.get("missing"))).failureCode()).isEqualTo(404);

    JsonObject retried = JobsHarness.get(client.retry(id));
    assertThat(retried.getJsonObject("job").getString("status")).isEqualTo("queued");
    assertThat(retried.getJsonObject("job").getInteger("attempt")).isEqualTo(2);
    assertThat(retried.getJsonObject("job").getString("leaseOwner")).isNull();
    assertThat(catchReply(() -> JobsHarness.get(client.retry(id))).failureCode()).isEqualTo(409);

    JsonObject stats = JobsHarness.get(client.stats());
    assertThat(stats.getLong("queued")).isEqualTo(1L);
    assertThat(stats.getLong("total")).isEqualTo(1L);
  }

  @Test
  @DisplayName("crawler_sessions follow connection events and batched heartbeats")
  void crawlerSessions() {
    // WHEN a crawler connects, authenticates, heartbeats and disconnects
    hub.crawlerEvent("connected", "crawler-1");
    hub.crawlerEvent("authenticated", "crawler-1");
    heartbeats(hub, heartbeat("crawler-1", "processing", 77));

    // THEN the session row carries the heartbeat
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      var rows = hub.rows("SELECT crawler_id, system_status, active_jobs, total_processed FROM crawler_sessions");
      assertThat(rows).hasSize(1);
      assertThat(rows.get(0).getString(1)).isEqualTo("processing");
      assertThat(rows.get(0).getLong(3)).isEqualTo(77L);
    });
    hub.crawlerEvent("disconnected", "crawler-1");
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
        hub.rows("SELECT disconnected_at FROM crawler_sessions").get(0).getOffsetDateTime(0)).isNotNull());
  }

  @Test
  @DisplayName("a heartbeat that changes nothing in the session row is not written until last_seen_at falls behind")
  void unchangedHeartbeatsAreCoalesced() {
    // GIVEN a hub with heartbeatTimeout 90 s (last_seen_at may fall 30 s behind) and two connected crawlers
    JobsHarness quiet = JobsHarness.start(JobsHarness.baseConfig(TestDatabase.freshDatabase())
        .put("heartbeatInterval", 30_000).put("heartbeatTimeout", 90_000));
    try {
      quiet.crawlerEvent("connected", "crawler-1");
      quiet.crawlerEvent("connected", "crawler-2");
      await().atMost(Duration.ofSeconds(5)).until(() -> quiet.rows("SELECT 1 FROM crawler_sessions").size() == 2);
      heartbeats(quiet, heartbeat("crawler-1", "processing", 77));
      await().atMost(Duration.ofSeconds(5)).until(() -> "processing".equals(session(quiet, "crawler-1").getString(0)));
      var seen = session(quiet, "crawler-1").getOffsetDateTime(2);

      // WHEN crawler-1 beats again with the same values, in the same batch as crawler-2's first beat
      heartbeats(quiet, heartbeat("crawler-1", "processing", 77), heartbeat("crawler-2", "idle", 5));

      // THEN crawler-2's row is written, crawler-1's is left alone
      await().atMost(Duration.ofSeconds(5)).until(() -> "idle".equals(session(quiet, "crawler-2").getString(0)));
      assertThat(session(quiet, "crawler-1").getOffsetDateTime(2)).isEqualTo(seen);

      // WHEN crawler-1's count moves, THEN that is written at once
      heartbeats(quiet, heartbeat("crawler-1", "processing", 78));
      await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
        assertThat(session(quiet, "crawler-1").getLong(1)).isEqualTo(78L);
        assertThat(session(quiet, "crawler-1").getOffsetDateTime(2)).isAfter(seen);
      });
    } finally {
      quiet.close();
    }
  }

  @Test
  @DisplayName("an unchanged heartbeat moves last_seen_at once it is heartbeatTimeout / 3 behind")
  void unchangedHeartbeatTouchesTheSessionEventually() {
    // GIVEN (heartbeatTimeout 3 s: last_seen_at may fall 1 s behind) a crawler whose heartbeat is recorded
    hub.crawlerEvent("connected", "crawler-1");
    await().atMost(Duration.ofSeconds(5)).until(() -> hub.rows("SELECT 1 FROM crawler_sessions").size() == 1);
    heartbeats(hub, heartbeat("crawler-1", "idle", 0));
    await().atMost(Duration.ofSeconds(5)).until(() -> "idle".equals(session(hub, "crawler-1").getString(0)));
    var seen = session(hub, "crawler-1").getOffsetDateTime(2);

    // WHEN the same heartbeat keeps coming (every 200 ms, as a crawler beats)
    // THEN last_seen_at moves once it is a second behind
    await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(200)).until(() -> {
      heartbeats(hub, heartbeat("crawler-1", "idle", 0));
      return session(hub, "crawler-1").getOffsetDateTime(2).isAfter(seen);
    });
  }

  /** A heartbeat as a router partition batches it: the latest per connection. */
  private static JsonObject heartbeat(String crawlerId, String status, long processed) {
    return new JsonObject().put("connectionId", "conn-" + crawlerId).put("crawlerId", crawlerId)
        .put("nodeId", JobsHarness.NODE).put("envelope", JobsHarness.envelope("heartbeat", null,
            new JsonObject().put("activeJobs", 2).put("totalProcessed", processed).put("systemStatus", status)));
  }

  private static void heartbeats(JobsHarness h, JsonObject... beats) {
    h.vertx.eventBus().publish(Addresses.CRAWLER_HEARTBEATS, new JsonObject().put("heartbeats", new JsonArray(List.of((Object[]) beats))));
  }

  /** crawler_sessions (system_status, total_processed, last_seen_at) of a crawler. */
  private static io.vertx.sqlclient.Row session(JobsHarness h, String crawlerId) {
    return h.rows("SELECT system_status, total_processed, last_seen_at FROM crawler_sessions WHERE crawler_id = $1",
        crawlerId).get(0);
  }

  @Test
  @DisplayName("finished jobs and closed crawler sessions older than maxJobAge are pruned every cleanupInterval; open and recent ones stay")
  void pruning() {
    // GIVEN a hub pruning every 200 ms, an old completed job, a recent completed one and an old queued one,
    // and crawler sessions closed long ago, closed just now, and open since long ago
    JobsHarness pruning = JobsHarness.start(JobsHarness.baseConfig(TestDatabase.freshDatabase())
        .put("cleanupInterval", 200).put("maxJobAge", 60_000));
    try {
      TestDatabase.exec(pruning.cfg.database().url(), """
          INSERT INTO jobs (id, status, entity_type, entity_id, finished_at, created_at) VALUES
            ('old-done', 'completed', 'project', 'a', now() - interval '2 minutes', now() - interval '3 minutes'),
            ('new-done', 'completed', 'project', 'b', now(), now()),
            ('old-open', 'queued', 'project', 'c', NULL, now() - interval '3 minutes');
          INSERT INTO crawler_sessions (connection_id, crawler_id, connected_at, disconnected_at) VALUES
            ('old-closed', 'c1', now() - interval '3 minutes', now() - interval '2 minutes'),
            ('new-closed', 'c1', now() - interval '3 minutes', now()),
            ('old-open', 'c2', now() - interval '3 minutes', NULL)""");

      // WHEN the cleanup runs
      // THEN only the old finished job and the session closed long ago are gone
      await().atMost(Duration.ofSeconds(5)).until(() -> pruning.rows("SELECT 1 FROM jobs WHERE id = 'old-done'").isEmpty()
          && pruning.rows("SELECT 1 FROM crawler_sessions WHERE connection_id = 'old-closed'").isEmpty());
      assertThat(pruning.rows("SELECT id FROM jobs ORDER BY id")).extracting(r -> r.getString(0))
          .containsExactly("new-done", "old-open");
      assertThat(pruning.rows("SELECT connection_id FROM crawler_sessions ORDER BY connection_id"))
          .extracting(r -> r.getString(0)).containsExactly("new-closed", "old-open");
    } finally {
      pruning.close();
    }
  }
}
