package org.crawlerhub.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IngestBenchmarkTest {
  @TempDir
  Path dir;

  @Test
  @DisplayName("A small ingest run against the baseline counts every message and ends with the ratio line")
  void smallRunAgainstTheBaseline(Vertx vertx) throws Exception {
    // GIVEN a baseline server and a workload of 4 connections, 2,000 lines, a probe every 100
    String socket = dir.resolve("b.sock").toString();
    BaselineServer baseline = new BaselineServer(new BaselineServer.Options(socket, "127.0.0.1", 0, 1, 1 << 20));
    baseline.start(vertx).await(10, TimeUnit.SECONDS);
    BenchWorkload w = new BenchWorkload(null, 4, 2_000, 300, 4096, 100, 0, false, true, 2, 0, 1);

    // WHEN two rounds run without warm-up
    IngestBenchmark.Result r = IngestBenchmark.run(vertx, socket, null, null, null, w, 2, 0, 0, null, null);

    // THEN each round counted its 2,000 lines, probes and barriers were answered, nothing was lost
    assertThat(r.baseline()).hasSize(2).allSatisfy(round -> {
      assertThat(round.messages()).isEqualTo(2_000);
      assertThat(round.msgsPerSecond()).isPositive();
      assertThat(round.probeLatency().count()).isEqualTo(4 * (500 / 100 - 1));
      assertThat(round.barrierLatency().count()).isEqualTo(4);
      assertThat(round.errorsByCode()).isEmpty();
    });
    // per round and connection: hello, claim, job_started, setup barrier, 500 lines, 4 probes,
    // final barrier, job_completed, close barrier
    assertThat(baseline.messages()).isEqualTo(2 * 4 * (4 + 500 + 4 + 3));
    assertThat(r.lastLine()).matches("ratio=0\\.000 hub_msgs_per_s=0 baseline_msgs_per_s=\\d+ p99_ms=\\d+\\.\\d\\d");
    baseline.stop(vertx).await(10, TimeUnit.SECONDS);
  }
}
