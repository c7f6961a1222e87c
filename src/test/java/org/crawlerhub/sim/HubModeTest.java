package org.crawlerhub.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The tools' hub paths (enqueue over HTTP, real claims, error frames) against {@link FakeHub}. */
@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HubModeTest {
  @TempDir
  Path dir;
  private FakeHub hub;
  private String socket;
  private String api;

  @BeforeEach
  void startHub(Vertx vertx) throws Exception {
    socket = dir.resolve("hub.sock").toString();
    hub = new FakeHub("admin");
    api = "http://127.0.0.1:" + hub.start(vertx, socket).await(10, TimeUnit.SECONDS);
  }

  @AfterEach
  void stopHub() throws Exception {
    hub.stop().await(10, TimeUnit.SECONDS);
  }

  private static SimOptions options(String... args) {
    CliArgs a = CliArgs.parse(args);
    SimOptions o = SimOptions.from(a);
    a.rejectUnknown();
    return o;
  }

  @Test
  @DisplayName("The fleet enqueues jobs over HTTP, claims and works exactly those, and sees its token refreshes answered")
  void fleetWorksEnqueuedJobs(Vertx vertx) throws Exception {
    // GIVEN 12 jobs to enqueue for 3 crawlers with a budget of 4 jobs each, every job refreshing its token
    SimOptions o = options("--socket=" + socket, "--crawlers=3", "--jobs-per-crawler=4", "--enqueue=12",
        "--enqueue-areas-share=0.5", "--api=" + api, "--admin-token=admin", "--progress-per-job=3",
        "--token-refresh-share=1", "--heartbeat-ms=600000", "--duration-s=30", "--progress=off");

    // WHEN the fleet runs
    SimSummary s = FleetSimulator.run(vertx, o, System.out).await(30, TimeUnit.SECONDS);

    // THEN all 12 jobs were claimed and finished without a single error frame
    assertThat(s.enqueued()).isEqualTo(12);
    assertThat(hub.queued()).isZero();
    assertThat(s.jobsStarted()).isEqualTo(12);
    assertThat(s.jobsCompleted() + s.jobsFailed()).isEqualTo(12);
    assertThat(s.errorsByCode()).isEmpty();
    assertThat(s.received("token_refresh_response")).isEqualTo(12);
    assertThat(s.tokenRefreshLatency().count()).isEqualTo(12);
    assertThat(s.sent("jobs_discovered")).isEqualTo(hub.received("jobs_discovered")).isPositive();
    assertThat(hub.messages.get()).isEqualTo(s.sent());
  }

  @Test
  @DisplayName("Error frames are counted by code")
  void errorFramesAreCountedByCode(Vertx vertx) throws Exception {
    // GIVEN an empty queue, so the crawlers make up job ids the hub does not know
    SimOptions o = options("--socket=" + socket, "--crawlers=2", "--jobs-per-crawler=2", "--fake-jobs",
        "--progress-per-job=4", "--token-refresh-share=0", "--fail-share=0", "--heartbeat-ms=600000",
        "--duration-s=30", "--progress=off");

    // WHEN the fleet runs
    SimSummary s = FleetSimulator.run(vertx, o, System.out).await(30, TimeUnit.SECONDS);

    // THEN every job message was answered with UNKNOWN_JOB and counted under that code
    long jobMessages = s.sent("job_started") + s.sent("job_progress") + s.sent("job_completed")
        + s.sent("jobs_discovered");
    assertThat(s.errorsByCode()).containsOnlyKeys("UNKNOWN_JOB");
    assertThat(s.errorsByCode().get("UNKNOWN_JOB")).isEqualTo(jobMessages);
    assertThat(s.format()).contains("UNKNOWN_JOB=" + jobMessages);
  }

  @Test
  @DisplayName("The ingest benchmark claims one enqueued job per connection on the hub and reports both targets")
  void ingestAgainstHubAndBaseline(Vertx vertx) throws Exception {
    // GIVEN the fake hub and a baseline, 4 connections, 1,200 lines per round
    String baselineSocket = dir.resolve("b.sock").toString();
    BaselineServer baseline = new BaselineServer(new BaselineServer.Options(baselineSocket, "127.0.0.1", 0, 1, 1 << 20));
    baseline.start(vertx).await(10, TimeUnit.SECONDS);
    BenchWorkload w = new BenchWorkload(null, 4, 1_200, 300, 4096, 100, 0, false, true, 1, 0, 1);

    // WHEN one warm-up and two measured rounds alternate between the targets
    IngestBenchmark.Result r = IngestBenchmark.run(vertx, baselineSocket, socket, api, "admin", w, 2, 400, 1, null, null);

    // THEN the hub's rounds ran on claimed jobs without rejections, and the ratio line has both rates
    assertThat(r.hub()).hasSize(2).allSatisfy(round -> {
      assertThat(round.errorsByCode()).isEmpty();
      assertThat(round.messages()).isEqualTo(1_200);
    });
    assertThat(r.baseline()).hasSize(2);
    assertThat(hub.queued()).isZero();
    assertThat(hub.received("job_progress")).isEqualTo(400 + 2 * 1_200);
    assertThat(hub.received("job_completed")).isEqualTo(3 * 4);
    // ~300-byte lines (a UUID job id; fewer digits in early lines make them a little shorter)
    assertThat(hub.progressMinBytes.get()).isBetween(260L, 300L);
    assertThat(hub.progressMaxBytes.get()).isBetween(290L, 310L);
    assertThat(r.lastLine()).matches("ratio=\\d+\\.\\d{3} hub_msgs_per_s=[1-9]\\d* baseline_msgs_per_s=[1-9]\\d* p99_ms=\\d+\\.\\d\\d");
    baseline.stop(vertx).await(10, TimeUnit.SECONDS);
  }
}
