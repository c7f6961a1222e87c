package org.crawlerhub.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.crawlerhub.jobs.JobsHarness.errorCode;
import static org.crawlerhub.jobs.JobsHarness.spec;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.metrics.HubMetrics;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LeaseExpiryTest extends JobsHarnessTest {
  @Test
  @DisplayName("leases of a disconnected crawler expire within leaseGrace + 1 s, exactly once, attempt + 1, and its late job_completed is a STALE_LEASE")
  void disconnectExpiresLeaseAndFencesTheZombie() {
    // GIVEN crawler-1 connected and running a job
    String id = hub.enqueue(spec("z/one", 1)).get(0);
    hub.crawlerEvent("connected", "crawler-1");
    hub.request("crawler-1", 1);
    hub.command("crawler-1", "job_started", id, new JsonObject());

    double expiriesBefore = counter(HubMetrics.LEASE_EXPIRIES);

    // WHEN its connection goes away
    long disconnectedAt = System.nanoTime();
    hub.crawlerEvent("disconnected", "crawler-1");

    // THEN the job is queued again at attempt 2 within leaseGrace (1 s) + 1 s
    await().atMost(Duration.ofMillis(2000 + 500)).pollInterval(Duration.ofMillis(50))
        .until(() -> "queued".equals(hub.job(id).getString("status")));
    long tookMs = (System.nanoTime() - disconnectedAt) / 1_000_000;
    assertThat(tookMs).isGreaterThanOrEqualTo(900L);
    assertThat(hub.job(id).getInteger("attempt")).isEqualTo(2);
    assertThat(hub.job(id).getString("lease_owner")).isNull();
    assertThat(hub.eventsOf(id)).containsExactly("null->queued@1", "queued->assigned@1", "assigned->running@1",
        "running->queued@2");
    await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(hub.busEvents(id))
        .filteredOn(e -> "lease_expired".equals(e.getString("reason"))).hasSize(1));
    assertThat(counter(HubMetrics.LEASE_EXPIRIES) - expiriesBefore).isEqualTo(1.0);
    assertThat(HubMetrics.registry().find(HubMetrics.JOB_TRANSITIONS).tag("from", "running").tag("to", "queued")
        .counter()).isNotNull();
    assertThat(HubMetrics.registry().find(HubMetrics.JOBS_BY_STATUS).tag("status", "queued").gauge()).isNotNull();

    // WHEN another crawler claims it and the zombie reports completion afterwards
    JsonArray reassigned = hub.request("crawler-2", 1);
    JsonObject zombie = hub.command("crawler-1", "job_completed", id,
        new JsonObject().put("success", true).put("finalCounts", new JsonObject()));

    // THEN the zombie is fenced off and the new lease holder finishes the job
    assertThat(reassigned.getJsonObject(0).getString("id")).isEqualTo(id);
    assertThat(errorCode(zombie)).isEqualTo("STALE_LEASE");
    assertThat(hub.job(id).getString("status")).isEqualTo("assigned");
    assertThat(hub.job(id).getString("lease_owner")).isEqualTo("crawler-2");
    assertThat(hub.command("crawler-2", "job_completed", id,
        new JsonObject().put("success", true).put("finalCounts", new JsonObject())).getJsonArray("frames")).isEmpty();
    assertThat(hub.eventsOf(id)).endsWith("queued->assigned@2", "assigned->completed@2");
  }

  private static double counter(String name) {
    var c = HubMetrics.registry().find(name).counter();
    return c == null ? 0 : c.count();
  }

  @Test
  @DisplayName("a crawler that reconnects within leaseGrace keeps its leases")
  void reconnectKeepsLeases() {
    // GIVEN crawler-1 connected with a leased job
    String id = hub.enqueue(spec("k/one", 1)).get(0);
    hub.crawlerEvent("connected", "crawler-1");
    hub.request("crawler-1", 1);

    // WHEN it disconnects (the lease now expires leaseGrace from now) and reconnects (hello) within the grace
    hub.crawlerEvent("disconnected", "crawler-1");
    await().atMost(Duration.ofSeconds(1)).until(() -> hub.rows(
        "SELECT 1 FROM jobs WHERE id = $1 AND lease_expires_at < now() + interval '1500 milliseconds'", id).size() == 1);
    hub.crawlerEvent("authenticated", "crawler-1");

    // THEN the lease outlives leaseGrace + 1 s and the crawler can still finish the job
    await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(4))
        .until(() -> "assigned".equals(hub.job(id).getString("status")));
    assertThat(hub.job(id).getInteger("attempt")).isEqualTo(1);
    assertThat(hub.command("crawler-1", "job_started", id, new JsonObject()).getJsonArray("frames")).isEmpty();
  }

  @Test
  @DisplayName("a crawler with two connections keeps its leases while one is left, and loses them when the last one closes")
  void leasesFollowTheLastConnection() {
    // GIVEN crawler-1 with a leased job over connection A (seen first unauthenticated, then after hello)
    // and a second connection B
    String id = hub.enqueue(spec("k/three", 1)).get(0);
    hub.crawlerEvent("connected", "conn-a", "conn-a");
    hub.crawlerEvent("authenticated", "crawler-1", "conn-a");
    hub.crawlerEvent("connected", "crawler-1", "conn-b");
    hub.request("crawler-1", 1);

    // WHEN connection A closes
    hub.crawlerEvent("disconnected", "crawler-1", "conn-a");
    // THEN the lease is kept beyond leaseGrace + 1 s (B is still there)
    await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(4))
        .until(() -> "assigned".equals(hub.job(id).getString("status")));

    // WHEN B closes too
    hub.crawlerEvent("disconnected", "crawler-1", "conn-b");
    // THEN the job is queued again within leaseGrace + 1 s
    await().atMost(Duration.ofMillis(2500)).until(() -> "queued".equals(hub.job(id).getString("status")));
    assertThat(hub.job(id).getInteger("attempt")).isEqualTo(2);
  }

  @Test
  @DisplayName("while a crawler stays connected its leases are renewed beyond heartbeatTimeout + leaseGrace")
  void connectedCrawlerKeepsLeases() {
    // GIVEN a connected crawler holding a job (lease initially heartbeatTimeout + leaseGrace = 4 s)
    String id = hub.enqueue(spec("k/two", 1)).get(0);
    hub.crawlerEvent("connected", "crawler-1");
    hub.request("crawler-1", 1);

    // WHEN 5 s pass without any job message
    // THEN the node's renewal keeps the lease alive
    await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(7))
        .until(() -> "assigned".equals(hub.job(id).getString("status")));
  }

  @Test
  @DisplayName("job_progress extends the lease even when no connection event was seen, but not after the crawler disconnected")
  void progressExtendsTheLease() {
    // GIVEN a running job of a crawler the hub saw no connection event for (lease 4 s from the claim)
    String id = hub.enqueue(spec("p/one", 1)).get(0);
    hub.request("crawler-1", 1);
    hub.command("crawler-1", "job_started", id, new JsonObject());

    // WHEN it reports progress every 400 ms for 5 s
    // THEN the lease never runs out
    long[] processed = {0};
    await().during(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(7)).pollInterval(Duration.ofMillis(400)).until(() -> {
      hub.command("crawler-1", "job_progress", id, JobsHarness.progress(++processed[0], 1000));
      return "running".equals(hub.job(id).getString("status"));
    });

    // WHEN it disconnects, with a last progress message right behind
    hub.crawlerEvent("disconnected", "crawler-1");
    hub.command("crawler-1", "job_progress", id, JobsHarness.progress(++processed[0], 1000));

    // THEN the lease still expires within leaseGrace + 1 s
    await().atMost(Duration.ofMillis(2500)).until(() -> "queued".equals(hub.job(id).getString("status")));
  }

  @Test
  @DisplayName("a job that sent nothing for jobTimeout is requeued as stuck and its lease fenced")
  void stuckJob() {
    // GIVEN a running job whose last message is two hours old
    String id = hub.enqueue(spec("s/one", 1)).get(0);
    hub.crawlerEvent("connected", "crawler-1");
    hub.request("crawler-1", 1);
    hub.command("crawler-1", "job_started", id, new JsonObject());
    TestDatabase.exec(hub.cfg.database().url(),
        "UPDATE jobs SET last_message_at = now() - interval '2 hours' WHERE id = '" + id + "'");

    // WHEN the scanner runs
    await().atMost(Duration.ofSeconds(3)).until(() -> "queued".equals(hub.job(id).getString("status")));

    // THEN it was requeued once as stuck; the crawler's next message is refused
    assertThat(hub.rows("SELECT reason FROM job_events WHERE job_id = $1 AND to_status = 'queued' AND attempt = 2", id))
        .hasSize(1).allMatch(r -> "stuck".equals(r.getString(0)));
    assertThat(errorCode(hub.command("crawler-1", "job_progress", id, JobsHarness.progress(1, 2)))).isEqualTo("STALE_LEASE");
  }

  @Test
  @DisplayName("with two jobs services scanning the same database each expired lease is requeued exactly once; out of attempts it is dead")
  void exactlyOnceAcrossNodes() {
    // GIVEN a second node's jobs service on the same database and 300 expired leases (100 on their last attempt)
    JsonObject second = JobsHarness.baseConfig(hub.cfg.database().url()).put("nodeId", "node-2");
    String deployment = JobsHarness.get(hub.vertx.deployVerticle(new JobsVerticle(HubConfig.fromJson(second))));
    TestDatabase.exec(hub.cfg.database().url(), """
        INSERT INTO jobs (id, status, priority, entity_type, entity_id, attempt, max_attempts, lease_owner, lease_expires_at)
        SELECT 'exp-' || g, 'running', 1, 'project', 'e/' || g, CASE WHEN g <= 100 THEN 3 ELSE 1 END, 3, 'gone',
               now() - interval '1 second'
        FROM generate_series(1, 300) g""");

    // WHEN both scanners run
    await().atMost(Duration.ofSeconds(5)).until(() ->
        hub.rows("SELECT count(*) FROM jobs WHERE status = 'running'").get(0).getLong(0) == 0L);

    // THEN each job moved exactly once
    List<io.vertx.sqlclient.Row> moves = hub.rows(
        "SELECT job_id, count(*) FROM job_events WHERE job_id LIKE 'exp-%' GROUP BY job_id HAVING count(*) <> 1");
    assertThat(moves).isEmpty();
    assertThat(hub.rows("SELECT count(*) FROM jobs WHERE id LIKE 'exp-%' AND status = 'queued' AND attempt = 2")
        .get(0).getLong(0)).isEqualTo(200L);
    assertThat(hub.rows("SELECT count(*) FROM jobs WHERE id LIKE 'exp-%' AND status = 'dead' AND attempt = 3")
        .get(0).getLong(0)).isEqualTo(100L);
    await().atMost(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(hub.jobEvents.stream()
        .filter(e -> e.getString("jobId").startsWith("exp-")).count()).isEqualTo(300L));
    JobsHarness.get(hub.vertx.undeploy(deployment));
  }

  @Test
  @DisplayName("a zombie talking to a node whose cache still shows its old lease is fenced by the database: STALE_LEASE, nothing changes")
  void staleCacheOnAnotherNodeIsFencedByTheDatabase() {
    // GIVEN two unclustered nodes on one database; node A does not scan, so its cache is not told of expiries
    String url = TestDatabase.freshDatabase();
    JobsHarness nodeA = JobsHarness.start(JobsHarness.baseConfig(url).put("nodeId", "node-a").put("leaseCheckInterval", 3_600_000));
    JobsHarness nodeB = JobsHarness.start(JobsHarness.baseConfig(url).put("nodeId", "node-b"));
    try {
      // AND crawler-1 runs a job through node A
      String id = nodeA.enqueue(spec("n/one", 1)).get(0);
      nodeA.request("crawler-1", 1);
      nodeA.command("crawler-1", "job_started", id, new JsonObject());
      // AND its lease expired, node B requeued it and handed it to crawler-2
      TestDatabase.exec(url, "UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = '" + id + "'");
      await().atMost(Duration.ofSeconds(3)).until(() -> "queued".equals(nodeB.job(id).getString("status")));
      assertThat(nodeB.request("crawler-2", 1)).hasSize(1);

      // WHEN the zombie's job_completed reaches node A, whose cache still says crawler-1 / running
      JsonObject zombie = nodeA.command("crawler-1", "job_completed", id,
          new JsonObject().put("success", true).put("finalCounts", new JsonObject()));

      // THEN the fenced write is rejected and the job stays with crawler-2
      assertThat(errorCode(zombie)).isEqualTo("STALE_LEASE");
      assertThat(nodeB.job(id).getString("status")).isEqualTo("assigned");
      assertThat(nodeB.job(id).getString("lease_owner")).isEqualTo("crawler-2");
      assertThat(nodeB.job(id).getInteger("attempt")).isEqualTo(2);
      // AND node A learnt the truth: the zombie's next message is refused from its cache
      assertThat(errorCode(nodeA.command("crawler-1", "job_progress", id, JobsHarness.progress(1, 2))))
          .isEqualTo("STALE_LEASE");
    } finally {
      nodeA.close();
      nodeB.close();
    }
  }
}
