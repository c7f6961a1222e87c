package org.crawlerhub.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProbeLogTest {
  @TempDir
  Path dir;

  @Test
  @DisplayName("a round with a probe log writes each measured probe's send time and round trip, one per line")
  void logsEveryMeasuredProbe(Vertx vertx) throws Exception {
    // GIVEN a baseline server and a paced workload of 4 connections with a probe every 10 lines
    String socket = dir.resolve("b.sock").toString();
    BaselineServer baseline = new BaselineServer(new BaselineServer.Options(socket, "127.0.0.1", 0, 1, 1 << 20));
    baseline.start(vertx).await(10, TimeUnit.SECONDS);
    BenchWorkload w = new BenchWorkload(socket, 4, 2_000, 300, 4096, 10, 4_000, false, true, 1, 0, 2);
    ProbeLog log = new ProbeLog();
    long before = System.nanoTime();

    // WHEN one round runs, its first 100 ms counted as warm-up
    BenchRound r = BenchClient.round(vertx, w, "baseline", 1, "log", TimeUnit.MILLISECONDS.toNanos(100),
        new LatencyHistogram(), log).await(30, TimeUnit.SECONDS);
    long after = System.nanoTime();
    Path file = dir.resolve("probes.baseline");
    log.write(file);

    // THEN the log holds exactly the measured probes, each sent during the round with a positive round trip
    List<String> lines = Files.readAllLines(file);
    assertThat(r.probeLatency().count()).isPositive();
    assertThat(lines).hasSize((int) r.probeLatency().count()).allSatisfy(line -> {
      String[] f = line.split(" ");
      assertThat(f).hasSize(2);
      assertThat(Long.parseLong(f[0])).isBetween(before, after);
      assertThat(Long.parseLong(f[1])).isPositive().isLessThan(after - before);
    });
    baseline.stop(vertx).await(10, TimeUnit.SECONDS);
  }
}
