package org.crawlerhub.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.app.HubApplication;
import org.crawlerhub.persistence.Database;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fleet simulator's crashing crawlers against the whole hub (real PostgreSQL): a crawler that
 * drops its connection mid-job loses nothing — each abandoned job is requeued exactly once, by
 * lease expiry, and finished by a crawler that came later.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CrashingFleetTest {
  private HubApplication hub;
  private Pool db;

  @BeforeEach
  void startHub() throws Exception {
    Path dir = Files.createTempDirectory("hub-crash");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String url = TestDatabase.freshDatabase();
    hub = HubApplication.start(new JsonObject()
        .put("profile", "test")
        .put("dataDir", dir.toString())
        .put("socketPath", dir.resolve("hub.sock").toString())
        .put("database", new JsonObject().put("url", url))
        .put("http", new JsonObject().put("port", port).put("adminToken", "admin"))
        .put("leaseGrace", 300).put("retryDelay", 200)
        // 30 % of attempts crash: with the default 4 attempts one job in ~120 would die of it
        .put("retryAttempts", 20)
        .put("leaseCheckInterval", 200)
        .put("shutdownTimeout", 2000)).await(120, TimeUnit.SECONDS);
    db = Database.pool(hub.vertx(), url, 1);
  }

  @AfterEach
  void stopHub() throws Exception {
    if (db != null) {
      db.close().await(10, TimeUnit.SECONDS);
    }
    if (hub != null) {
      hub.stop().await(60, TimeUnit.SECONDS);
    }
  }

  private Map<String, Long> count(String sql) throws Exception {
    Map<String, Long> out = new HashMap<>();
    for (Row r : db.query(sql).execute().await(10, TimeUnit.SECONDS)) {
      out.put(r.getString(0), r.getLong(1));
    }
    return out;
  }

  /**
   * 4 simulated crawlers on this hub that enqueue {@code jobs} project jobs and stop once that many
   * are finished; nothing fails or refreshes a token on purpose; plus {@code extra} options.
   */
  private SimOptions fleet(int jobs, String... extra) {
    List<String> args = new ArrayList<>(List.of("--socket=" + hub.config().socketPath(),
        "--api=http://127.0.0.1:" + hub.config().http().port(), "--admin-token=admin",
        "--enqueue=" + jobs, "--enqueue-areas-share=0", "--crawlers=4", "--jobs-per-crawler=100",
        "--total-jobs=" + jobs, "--fail-share=0", "--token-refresh-share=0", "--idle-poll-ms=100",
        "--heartbeat-ms=600000", "--duration-s=60", "--progress=off"));
    args.addAll(List.of(extra));
    CliArgs a = CliArgs.parse(args.toArray(String[]::new));
    SimOptions o = SimOptions.from(a);
    a.rejectUnknown();
    return o;
  }

  /** For a failure message: the jobs not completed, with their lease and event chain. */
  private String unfinished() {
    StringBuilder b = new StringBuilder("jobs not completed:");
    try {
      for (Row r : db.query("""
          SELECT j.id, j.status, j.attempt, j.lease_owner, j.lease_expires_at - now() AS lease_left,
                 now() - j.last_message_at AS silent,
                 (SELECT string_agg(e.from_status || '->' || e.to_status || '@' || e.attempt || ' ' || e.reason
                    || ' ' || coalesce(e.crawler_id, '') || ' ' || to_char(e.at, 'HH24:MI:SS.MS'), ', ' ORDER BY e.id)
                  FROM job_events e WHERE e.job_id = j.id) AS events
          FROM jobs j WHERE j.status <> 'completed'""").execute().await(10, TimeUnit.SECONDS)) {
        b.append("\n  ").append(r.toJson().encode());
      }
    } catch (Exception e) {
      b.append(" (could not list: ").append(e).append(')');
    }
    return b.toString();
  }

  @Test
  @DisplayName("Jobs abandoned by crawlers that crash mid-job are requeued exactly once each and completed by others")
  void crashedCrawlersLoseNoJob() throws Exception {
    // GIVEN 30 jobs and 4 crawlers that crash during 30 % of their jobs (seeded) and restart 100 ms
    // later under a new id; nothing fails on purpose, the leases expire 300 ms after a crash
    SimOptions o = fleet(30, "--progress-per-job=3", "--rate=400", "--crash-share=0.3", "--restart-ms=100",
        "--seed=7");

    // WHEN the fleet runs until 30 jobs are finished
    SimSummary s = FleetSimulator.run(hub.vertx(), o, System.out).await(90, TimeUnit.SECONDS);

    // THEN crawlers did crash, every abandoned job went back to the queue exactly once by lease
    // expiry (one event per abandoned job, attempts count the requeues), and no crawler was told off
    assertThat(s.crashes()).isPositive();
    assertThat(s.errorsByCode()).isEmpty();
    Map<String, Long> requeues = count("SELECT reason, count(*) FROM job_events "
        + "WHERE to_status = 'queued' AND from_status IS NOT NULL GROUP BY 1");
    assertThat(requeues).as(unfinished()).containsOnlyKeys("lease_expired");
    assertThat(requeues.get("lease_expired")).as(unfinished()).isEqualTo(s.jobsAbandoned());
    assertThat(count("SELECT 'attempts', sum(attempt - 1) FROM jobs").get("attempts")).isEqualTo(s.jobsAbandoned());
    assertThat(count("SELECT status, count(*) FROM jobs GROUP BY 1")).containsOnly(Map.entry("completed", 30L));
  }

  @Test
  @DisplayName("Crawlers told to shut down hand their jobs back, come back, and the fleet still completes every job exactly once")
  void shutdownFrameHandsBackAndRejoins() throws Exception {
    // GIVEN 20 jobs of ~0.3 s each and 4 crawlers that reconnect 100 ms after their connection
    // ends; nothing fails on purpose; a handed-back job is retried after 200 ms
    SimOptions o = fleet(20, "--progress-per-job=60", "--rate=200", "--reconnect-ms=100");

    // WHEN the fleet runs and, once a few jobs are done, every crawler gets a shutdown frame
    var run = FleetSimulator.run(hub.vertx(), o, System.out);
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
        .until(() -> count("SELECT status, count(*) FROM jobs GROUP BY 1").getOrDefault("completed", 0L) >= 3);
    hub.vertx().eventBus().publish(org.crawlerhub.bus.Addresses.CRAWLER_BROADCAST, new JsonObject()
        .put("type", "shutdown").put("data", new JsonObject().put("graceful", true).put("reason", "test")));
    SimSummary s = run.await(90, TimeUnit.SECONDS);

    // THEN each crawler left and came back once, the jobs in hand went back to the queue through
    // job_failed (recoverable) and were retried, and every job ended completed, once
    assertThat(s.reconnects()).isEqualTo(4);
    assertThat(s.everConnected()).isEqualTo(8);
    assertThat(s.jobsReleased()).isPositive();
    assertThat(s.errorsByCode()).isEmpty();
    assertThat(count("SELECT status, count(*) FROM jobs GROUP BY 1")).containsOnly(Map.entry("completed", 20L));
    assertThat(count("SELECT 'completions', count(*) FROM job_events WHERE to_status = 'completed'")
        .get("completions")).isEqualTo(20L);
    assertThat(count("SELECT 'retries', count(*) FROM job_events WHERE reason = 'retry'").get("retries"))
        .isEqualTo(s.jobsReleased());
  }
}
