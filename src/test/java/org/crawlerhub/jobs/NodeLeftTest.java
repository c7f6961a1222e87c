package org.crawlerhub.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.crawlerhub.jobs.JobsHarness.spec;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Leases when another hub node leaves the cluster without announcing its crawlers' disconnects
 * (it died): SPEC §2.5, leases expire leaseGrace after the connection closed.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NodeLeftTest {
  private JobsHarness hub;

  /** Long heartbeat timeout: a lease renewed by node B runs ~21 s, far beyond leaseGrace (1 s). */
  private static JsonObject config(int heartbeatInterval) {
    return JobsHarness.baseConfig(TestDatabase.freshDatabase())
        .put("heartbeatTimeout", 20_000).put("heartbeatInterval", heartbeatInterval);
  }

  @AfterEach
  void stop() {
    if (hub != null) {
      hub.close();
    }
  }

  private String runningJob(String crawlerId, String entityId) {
    String id = hub.enqueue(spec(entityId, 1)).get(0);
    assertThat(hub.request(crawlerId, 1)).hasSize(1);
    hub.command(crawlerId, "job_started", id, new JsonObject());
    return id;
  }

  @Test
  @DisplayName("when a node leaves the cluster its crawlers' leases expire leaseGrace later, unless they are connected elsewhere; one that moved here loses them leaseGrace after it leaves here")
  void leasesOfADeadNodesCrawlers() {
    // GIVEN crawler-stays, crawler-mover and crawler-left connected to node-b, each running a job
    // (leases ~21 s), node-b's session rows open, crawler-mover already reconnected to this node,
    // and crawler-left disconnected from node-b, which died before writing its lease expiry
    hub = JobsHarness.start(config(1000));
    hub.crawlerEvent("connected", "crawler-stays", "conn-b1", "node-b");
    hub.crawlerEvent("connected", "crawler-mover", "conn-b2", "node-b");
    hub.crawlerEvent("connected", "crawler-left", "conn-b3", "node-b");
    String staysJob = runningJob("crawler-stays", "n/stays");
    String moverJob = runningJob("crawler-mover", "n/mover");
    String leftJob = runningJob("crawler-left", "n/left");
    hub.crawlerEvent("disconnected", "crawler-left", "conn-b3", "node-b");
    TestDatabase.exec(hub.cfg.database().url(), """
        INSERT INTO crawler_sessions (connection_id, crawler_id, node_id) VALUES
          ('conn-b1', 'crawler-stays', 'node-b'), ('conn-b2', 'crawler-mover', 'node-b')""");
    hub.crawlerEvent("connected", "crawler-mover", "conn-a2", JobsHarness.NODE);

    // WHEN the cluster reports node-b gone (it never announced a disconnect)
    long leftAt = System.nanoTime();
    hub.vertx.eventBus().publish(Addresses.CLUSTER_NODE_LEFT, "node-b");

    // THEN the jobs of crawler-stays and crawler-left are requeued once, leaseGrace (1 s) later,
    // not when node-b's last renewal runs out
    await().atMost(Duration.ofMillis(3000)).pollInterval(Duration.ofMillis(50))
        .until(() -> "queued".equals(hub.job(staysJob).getString("status"))
            && "queued".equals(hub.job(leftJob).getString("status")));
    assertThat((System.nanoTime() - leftAt) / 1_000_000).isGreaterThanOrEqualTo(900L);
    assertThat(hub.eventsOf(staysJob)).endsWith("running->queued@2");
    assertThat(hub.eventsOf(leftJob)).endsWith("running->queued@2");
    // AND node-b's sessions are closed as node_left
    assertThat(hub.rows("SELECT disconnect_reason FROM crawler_sessions WHERE node_id = 'node-b'"))
        .extracting(r -> r.getString(0)).containsOnly("node_left");
    // AND crawler-mover, connected here, keeps its job
    await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
        .until(() -> "running".equals(hub.job(moverJob).getString("status")));

    // WHEN crawler-mover leaves this node too
    hub.crawlerEvent("disconnected", "crawler-mover", "conn-a2", JobsHarness.NODE);

    // THEN its job is requeued leaseGrace later (node-b's old connection no longer counts as a live one)
    await().atMost(Duration.ofMillis(3000)).pollInterval(Duration.ofMillis(50))
        .until(() -> "queued".equals(hub.job(moverJob).getString("status")));
    assertThat(hub.job(moverJob).getInteger("attempt")).isEqualTo(2);
  }

  @Test
  @DisplayName("a lease another node cut to leaseGrace while its crawler is connected here is renewed before it runs out")
  void leaseCutShortIsRenewed() {
    // GIVEN renewals due every heartbeatInterval (10 s) and a crawler connected here running a job
    hub = JobsHarness.start(config(10_000));
    hub.crawlerEvent("connected", "crawler-1");
    String id = runningJob("crawler-1", "n/cut");

    // WHEN another node's late disconnect write cuts the lease to leaseGrace (1 s) from now
    TestDatabase.exec(hub.cfg.database().url(),
        "UPDATE jobs SET lease_expires_at = now() + interval '1 second' WHERE id = '" + id + "'");

    // THEN the lease is renewed (at least twice per leaseGrace) and the job stays with its crawler
    await().during(Duration.ofMillis(3000)).atMost(Duration.ofSeconds(5))
        .until(() -> "running".equals(hub.job(id).getString("status")));
    assertThat(hub.eventsOf(id)).doesNotContain("running->queued@2");
  }

  @Test
  @DisplayName("leases are renewed every heartbeatInterval and at least twice per leaseGrace")
  void renewalInterval() {
    // GIVEN / WHEN / THEN
    assertThat(JobsVerticle.renewalInterval(HubConfig.fromJson(new JsonObject()))).isEqualTo(30_000L);
    assertThat(JobsVerticle.renewalInterval(HubConfig.fromJson(new JsonObject()
        .put("heartbeatInterval", 30_000).put("leaseGrace", 2000)))).isEqualTo(1000L);
    assertThat(JobsVerticle.renewalInterval(HubConfig.fromJson(new JsonObject()
        .put("heartbeatInterval", 1000).put("leaseGrace", 0)))).isEqualTo(1000L);
    assertThat(JobsVerticle.renewalInterval(HubConfig.fromJson(new JsonObject()
        .put("heartbeatInterval", 1000).put("leaseGrace", 50)))).isEqualTo(100L);
  }
}
