package org.crawlerhub.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.app.HubApplication;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** One-way latency probes (#6): the client's probe job_progress lines, and what each server records of them. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OneWayProbesTest {
  @TempDir
  Path dir;

  @Test
  @DisplayName("a probe message carries its send time; other messages carry none")
  void parsesProbeMessages() {
    assertThat(OneWayProbes.sentNanos("probe 123456789")).isEqualTo(123456789L);
    assertThat(OneWayProbes.sentNanos("probe -5")).isEqualTo(-5L);
    assertThat(OneWayProbes.sentNanos("page 12")).isEqualTo(OneWayProbes.NONE);
    assertThat(OneWayProbes.sentNanos("probe twelve")).isEqualTo(OneWayProbes.NONE);
    assertThat(OneWayProbes.sentNanos(null)).isEqualTo(OneWayProbes.NONE);
  }

  @Test
  @DisplayName("the baseline records every probe the client sent after the warm-up, each with a one-way time inside the round")
  void baselineRecordsEveryProbe(Vertx vertx) throws Exception {
    // GIVEN a baseline recording probes, and 4 paced connections sending a probe every 50 ms
    String socket = dir.resolve("b.sock").toString();
    Path file = dir.resolve("baseline.probes");
    OneWayProbes probes = OneWayProbes.toFile(file);
    BaselineServer baseline = new BaselineServer(new BaselineServer.Options(socket, "127.0.0.1", 0, 1, 1 << 20))
        .probes(probes);
    baseline.start(vertx).await(10, TimeUnit.SECONDS);
    BenchWorkload w = new BenchWorkload(socket, 4, 4_000, 300, 4096, 10, 4_000, false, true, 1, 50, 4);
    long before = System.nanoTime();

    // WHEN one round of about a second runs, its first 200 ms counted as warm-up
    BenchRound r = BenchClient.round(vertx, w, "baseline", 1, "oneway", TimeUnit.MILLISECONDS.toNanos(200),
        new LatencyHistogram()).await(30, TimeUnit.SECONDS);
    long after = System.nanoTime();
    probes.close();

    // THEN each probe sent after the warm-up is in the file once, with a one-way time shorter than the round
    OneWayProbes.Summary s = OneWayProbes.read(file, r.measuredFromNanos());
    assertThat(r.oneWaySent()).isGreaterThan(30);
    assertThat(r.measuredFromNanos()).isBetween(before, after);
    assertThat(s.published().count()).isEqualTo(r.oneWaySent());
    assertThat(s.published().max()).isPositive().isLessThan(after - before);
    assertThat(s.delivered().count()).isZero();
    assertThat(s.routed().count()).isZero();
    assertThat(OneWayProbes.read(file, Long.MIN_VALUE).published().count()).isGreaterThan(r.oneWaySent());
    baseline.stop(vertx).await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("on the whole hub each probe is routed, published on hub.progress.job.<id> and delivered on hub.progress.jobs")
  void hubPublishesEveryProbe() throws Exception {
    // GIVEN a whole hub (real PostgreSQL, default publish throttle of 250 ms) with the probes installed
    Path hubDir = Files.createTempDirectory("hub-oneway");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    HubApplication hub = HubApplication.start(new JsonObject()
        .put("profile", "test")
        .put("dataDir", hubDir.toString())
        .put("socketPath", hubDir.resolve("hub.sock").toString())
        .put("database", new JsonObject().put("url", TestDatabase.freshDatabase()))
        .put("http", new JsonObject().put("port", port).put("adminToken", "admin"))
        .put("shutdownTimeout", 2000)).await(120, TimeUnit.SECONDS);
    Path file = dir.resolve("hub.probes");
    OneWayProbes probes = OneWayProbes.toFile(file);
    Vertx client = Vertx.vertx();
    try {
      ProbedHub.install(hub.vertx(), probes);
      // 4 connections, each holding a load job and a probe job, a probe every 300 ms for ~2 s
      BenchWorkload w = new BenchWorkload(hub.config().socketPath(), 4, 4_000, 300, 4096, 10, 2_000, true, true, 1,
          300, 1);
      BenchClient.enqueueJobs(client, "http://127.0.0.1:" + port, "admin", 8, "oneway").await(30, TimeUnit.SECONDS);

      // WHEN the round runs
      BenchRound r = BenchClient.round(client, w, "hub", 1, "oneway").await(60, TimeUnit.SECONDS);

      // THEN every probe was routed, published and delivered (each counted once), and none was
      // published before it was routed
      assertThat(r.errorsByCode()).isEmpty();
      assertThat(r.oneWaySent()).isGreaterThanOrEqualTo(16);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        probes.flush();
        OneWayProbes.Summary s = OneWayProbes.read(file, r.measuredFromNanos());
        assertThat(s.published().count()).isEqualTo(r.oneWaySent());
        assertThat(s.delivered().count()).isEqualTo(r.oneWaySent());
        assertThat(s.routed().count()).isEqualTo(r.oneWaySent());
      });
      OneWayProbes.Summary s = OneWayProbes.read(file, r.measuredFromNanos());
      assertThat(s.routed().max()).isPositive().isLessThanOrEqualTo(s.published().max());
      assertThat(s.routed().min()).isLessThanOrEqualTo(s.published().min());
    } finally {
      probes.close();
      client.close().await(10, TimeUnit.SECONDS);
      hub.stop().await(60, TimeUnit.SECONDS);
    }
  }
}
