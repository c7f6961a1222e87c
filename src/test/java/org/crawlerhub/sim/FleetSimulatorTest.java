package org.crawlerhub.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FleetSimulatorTest {
  @TempDir
  Path dir;
  private BaselineServer baseline;
  private String socket;

  @BeforeEach
  void startBaseline(Vertx vertx) throws Exception {
    socket = dir.resolve("baseline.sock").toString();
    baseline = new BaselineServer(new BaselineServer.Options(socket, "127.0.0.1", 0, 2, 1 << 20));
    baseline.start(vertx).await(10, TimeUnit.SECONDS);
    assertThat(Files.exists(Path.of(socket))).isTrue();
  }

  @AfterEach
  void stopBaseline(Vertx vertx) throws Exception {
    baseline.stop(vertx).await(10, TimeUnit.SECONDS);
  }

  private static SimOptions options(String... args) {
    CliArgs a = CliArgs.parse(args);
    SimOptions o = SimOptions.from(a);
    a.rejectUnknown();
    return o;
  }

  @Test
  @DisplayName("Every message the simulated fleet sends reaches the baseline server, in the expected mix")
  void fleetAgainstBaselineCountsMatch(Vertx vertx) throws Exception {
    // GIVEN 6 crawlers doing 5 made-up jobs of 10 progress messages each at 200 messages/s (so all
    // six are connected at once however loaded the machine is), no heartbeat due
    SimOptions o = options("--socket=" + socket, "--crawlers=6", "--jobs-per-crawler=5",
        "--progress-per-job=10", "--rate=200", "--fake-jobs", "--fail-share=0.3", "--heartbeat-ms=600000",
        "--duration-s=30", "--event-loops=2", "--progress=lines");
    ByteArrayOutputStream progress = new ByteArrayOutputStream();

    // WHEN the simulation runs to the end of its job budget
    SimSummary s = FleetSimulator.run(vertx, o, new PrintStream(progress, true, StandardCharsets.UTF_8))
        .await(30, TimeUnit.SECONDS);

    // THEN the counts add up and the server decoded exactly what was sent
    int jobs = 6 * 5;
    assertThat(s.errorsByCode()).isEmpty();
    assertThat(s.sent("hello")).isEqualTo(6);
    assertThat(s.sent("job_started")).isEqualTo(jobs);
    assertThat(s.sent("job_progress")).isEqualTo(jobs * 10L);
    assertThat(s.sent("job_completed") + s.sent("job_failed")).isEqualTo(jobs);
    assertThat(s.jobsCompleted() + s.jobsFailed()).isEqualTo(jobs);
    assertThat(s.sent("job_request")).isEqualTo(jobs + 6L); // one claim per job + one barrier each
    assertThat(s.received("job_response")).isEqualTo(s.sent("job_request"));
    assertThat(s.jobRequestLatency().count()).isEqualTo(s.sent("job_request"));
    assertThat(baseline.messages()).isEqualTo(s.sent());
    assertThat(s.peakConnected()).isEqualTo(6);
    assertThat(s.format()).contains("messages sent", "job_request RTT", "p50=", "p95=", "p99=", "max=",
        "errors               : none");
    assertThat(progress.toString(StandardCharsets.UTF_8)).contains("sent=").contains("conns=");
  }

  @Test
  @DisplayName("Rate-limited crawlers with heartbeats stop by themselves at the deadline and hand back their jobs")
  void deadlineStopsARateLimitedFleet(Vertx vertx) throws Exception {
    // GIVEN 3 crawlers at 20 msg/s with far more work than 2 seconds allow
    SimOptions o = options("--socket=" + socket, "--crawlers=3", "--jobs-per-crawler=100",
        "--progress-per-job=50", "--fake-jobs", "--rate=20", "--heartbeat-ms=200",
        "--duration-s=2", "--progress=off");

    // WHEN the run reaches its deadline
    SimSummary s = FleetSimulator.run(vertx, o, System.out).await(30, TimeUnit.SECONDS);

    // THEN it stopped after about 2 s, paced, with heartbeats, held jobs handed back, all processed
    assertThat(s.seconds()).isBetween(1.9, 6.0);
    assertThat(s.sent("heartbeat")).isGreaterThanOrEqualTo(3 * 5);
    assertThat(s.sent() - s.sent("heartbeat") - s.sent("hello")).isLessThanOrEqualTo(3 * (20 * 3 + 5));
    assertThat(s.jobsReleased()).isEqualTo(3);
    assertThat(s.errorsByCode()).isEmpty();
    assertThat(baseline.messages()).isEqualTo(s.sent());
  }

  @Test
  @DisplayName("Over loopback TCP the crawlers say hello with their token first and the counts match")
  void tcpTransportWithHello(Vertx vertx) throws Exception {
    // GIVEN the baseline also listening on a free loopback TCP port
    int port;
    try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    BaselineServer tcp = new BaselineServer(new BaselineServer.Options(null, "127.0.0.1", port, 1, 1 << 20));
    tcp.start(vertx).await(10, TimeUnit.SECONDS);
    SimOptions o = options("--host=127.0.0.1", "--port=" + port, "--token=secret", "--crawlers=3",
        "--jobs-per-crawler=2", "--progress-per-job=5", "--fake-jobs", "--heartbeat-ms=600000",
        "--duration-s=30", "--progress=off");

    // WHEN the fleet runs over TCP
    SimSummary s = FleetSimulator.run(vertx, o, System.out).await(30, TimeUnit.SECONDS);

    // THEN every crawler sent hello and the TCP server decoded everything
    assertThat(s.sent("hello")).isEqualTo(3);
    assertThat(s.sent("job_progress")).isEqualTo(3 * 2 * 5);
    assertThat(tcp.messages()).isEqualTo(s.sent());
    assertThat(s.errorsByCode()).isEmpty();
    tcp.stop(vertx).await(10, TimeUnit.SECONDS);
  }

  private String socketB() {
    return dir.resolve("baseline-b.sock").toString();
  }

  /** A second baseline server ("node B") beside the first, on {@link #socketB()}. */
  private BaselineServer nodeB(Vertx vertx) throws Exception {
    BaselineServer b = new BaselineServer(new BaselineServer.Options(socketB(), "127.0.0.1", 0, 1, 1 << 20));
    b.start(vertx).await(10, TimeUnit.SECONDS);
    return b;
  }

  @Test
  @DisplayName("Crawlers spread over several sockets, and one that crashes mid-job restarts on the next under a new id")
  void crashingCrawlersRestartOnTheNextNode(Vertx vertx) throws Exception {
    // GIVEN a second baseline ("node B") beside the first, and 4 crawlers that crash during half
    // their jobs (seeded) and restart 50 ms later
    BaselineServer b = nodeB(vertx);
    SimOptions o = options("--socket=" + socket + "," + socketB(), "--crawlers=4", "--jobs-per-crawler=4",
        "--progress-per-job=6", "--fake-jobs", "--crash-share=0.5", "--restart-ms=50", "--fail-share=0",
        "--token-refresh-share=0", "--heartbeat-ms=600000", "--duration-s=30", "--progress=off", "--seed=3");

    // WHEN the fleet runs to the end of its job budget
    SimSummary s = FleetSimulator.run(vertx, o, System.out).await(30, TimeUnit.SECONDS);

    // THEN every crash cost one connection and one job (never finished), each restart said hello
    // again, both nodes were used, and together they decoded exactly what was sent
    assertThat(s.crashes()).isPositive();
    assertThat(s.jobsAbandoned()).isEqualTo(s.crashes());
    assertThat(s.everConnected()).isEqualTo(4 + s.crashes());
    assertThat(s.sent("hello")).isEqualTo(4 + s.crashes());
    assertThat(s.jobsCompleted()).isEqualTo(4 * 4);
    assertThat(s.sent("job_started")).isEqualTo(4 * 4 + s.crashes());
    assertThat(s.sent("job_completed")).isEqualTo(4 * 4);
    assertThat(s.errorsByCode()).isEmpty();
    assertThat(baseline.connections()).isPositive();
    assertThat(b.connections()).isPositive();
    assertThat(baseline.messages() + b.messages()).isEqualTo(s.sent());
    assertThat(s.format()).contains("crashes              : " + s.crashes());
    b.stop(vertx).await(10, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("A crawler whose node goes away reconnects to the next one under the same id and carries on with its job")
  void reconnectsToTheNextNodeAndCarriesOn(Vertx vertx) throws Exception {
    // GIVEN a second baseline ("node B") and 2 crawlers, one per node, paced to work ~1.6 s, that
    // reconnect after 50 ms
    BaselineServer b = nodeB(vertx);
    SimOptions o = options("--socket=" + socket + "," + socketB(), "--crawlers=2", "--jobs-per-crawler=5",
        "--progress-per-job=30", "--rate=100", "--fake-jobs", "--reconnect-ms=50", "--fail-share=0",
        "--token-refresh-share=0", "--heartbeat-ms=600000", "--duration-s=30", "--progress=off");

    // WHEN node B stops while its crawler is in the middle of its work
    var run = FleetSimulator.run(vertx, o, System.out);
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() -> b.messages() >= 10);
    b.stop(vertx).await(10, TimeUnit.SECONDS);
    SimSummary s = run.await(30, TimeUnit.SECONDS);

    // THEN that crawler reconnected once (hello again, same id) and finished its budget without
    // starting any job twice; the only errors are the one close it saw
    assertThat(s.reconnects()).isEqualTo(1);
    assertThat(s.everConnected()).isEqualTo(3);
    assertThat(s.sent("hello")).isEqualTo(3);
    assertThat(s.jobsCompleted()).isEqualTo(2 * 5);
    assertThat(s.sent("job_started")).isEqualTo(2 * 5);
    assertThat(s.sent("job_completed")).isEqualTo(2 * 5);
    assertThat(s.errorsByCode()).containsOnlyKeys("local:closed_by_peer");
    assertThat(s.format()).contains("reconnects           : 1");
  }

  @Test
  @DisplayName("Options reject non-loopback hosts, TCP without hello and typos")
  void optionsAreChecked() {
    // GIVEN / WHEN / THEN
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> options("--host=10.0.0.5", "--port=7070"))
        .hasMessageContaining("loopback");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> options("--port=7070", "--hello=false"))
        .hasMessageContaining("hello");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> options("--socket=/tmp/x.sock", "--crawlres=5"))
        .hasMessageContaining("--crawlres");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> options("--socket=/tmp/x.sock", "--enqueue=5",
        "--api=http://example.com:8080")).hasMessageContaining("loopback");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> options("--socket=/tmp/x.sock", "--crash-share=1.5"))
        .hasMessageContaining("--crash-share");
  }

  @Test
  @DisplayName("Idle mode holds every connection open until the deadline")
  void idleModeHoldsConnections(Vertx vertx) throws Exception {
    // GIVEN 40 idle connections for three seconds (a cold JVM stalls its first second)
    SimOptions o = options("--socket=" + socket, "--idle-connections=40", "--heartbeat-ms=300",
        "--duration-s=3", "--connect-concurrency=8", "--progress=off");

    // WHEN the run ends
    SimSummary s = FleetSimulator.run(vertx, o, System.out).await(30, TimeUnit.SECONDS);

    // THEN all 40 were connected at once, sent hello and heartbeats, and nothing failed
    assertThat(s.idleMode()).isTrue();
    assertThat(s.peakConnected()).isEqualTo(40);
    assertThat(s.connectedBeforeDeadline()).isEqualTo(40);
    assertThat(baseline.connections()).isEqualTo(40);
    assertThat(s.sent("hello")).isEqualTo(40);
    assertThat(s.sent("heartbeat")).isGreaterThanOrEqualTo(40);
    assertThat(s.errorsByCode()).isEmpty();
    assertThat(s.format()).contains("peak 40 connected");
  }
}
