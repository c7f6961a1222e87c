package org.crawlerhub.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Counter;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.metrics.HubMetrics;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(60)
@DisplayName("Gateway framing and ordering")
class GatewayFramingTest extends GatewayTestBase {

  private TestCrawler connect(Transport transport) throws Exception {
    if (transport == Transport.UNIX) {
      return unixCrawler();
    }
    TestCrawler c = tcpCrawler();
    c.send(TestCrawler.hello("crawler-tcp", TOKEN));
    assertThat(c.next().getString("type")).isEqualTo("welcome");
    return c;
  }

  @ParameterizedTest
  @EnumSource(Transport.class)
  @DisplayName("10,000 messages on one connection reach the router and come back in the order they were sent")
  void ordering(Transport transport) throws Exception {
    // GIVEN a hub on both transports whose router answers every 7th request late
    startHub(new JsonObject().put("tcpEnabled", true).put("port", freePort()));
    int n = 10_000;
    try (TestCrawler crawler = connect(transport)) {
      StringBuilder all = new StringBuilder();
      for (int i = 0; i < n; i++) {
        all.append(TestCrawler.jobRequest(i).encode()).append('\n');
      }
      byte[] bytes = all.toString().getBytes(StandardCharsets.UTF_8);

      // WHEN the crawler writes them all at once (from another thread, while we read)
      CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
        try {
          crawler.send(bytes);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });

      // THEN the job_responses arrive in send order
      List<Integer> replies = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        JsonObject f = crawler.next();
        assertThat(f.getString("type")).isEqualTo("job_response");
        replies.add(f.getJsonObject("data").getInteger("seq"));
      }
      writing.join();
      assertThat(replies).isSorted().hasSize(n).doesNotHaveDuplicates();
      // AND the router received them in send order too
      List<Integer> seen = router.received.stream()
          .map(m -> m.body().getJsonObject("data").getInteger("seq")).toList();
      assertThat(seen).isSorted().hasSize(n);
      assertThat(router.received.peek().headers().get(Addresses.Headers.TRANSPORT)).isEqualTo(transport.wire());
      // AND they were counted as accepted
      Counter accepted = HubMetrics.registry().find(HubMetrics.MESSAGES_IN)
          .tags("type", "job_request", "outcome", "accepted").counter();
      assertThat(accepted).isNotNull();
      assertThat(accepted.count()).isGreaterThanOrEqualTo(n);
    }
  }

  @Test
  @DisplayName("Bad lines each get an error frame and an error report while the connection keeps working")
  void badLinesAreRejectedOneByOne() throws Exception {
    // GIVEN a crawler on the Unix socket
    startHub(new JsonObject());
    try (TestCrawler crawler = unixCrawler()) {
      // WHEN it sends broken lines, then a good one
      crawler.sendLine("this is not json");
      crawler.sendLine("[1,2,3]");
      crawler.send(TestCrawler.msg("teleport", new JsonObject()));
      crawler.sendLine("{\"timestamp\":\"2025-01-01T00:00:00Z\",\"data\":{}}");
      crawler.send(TestCrawler.jobRequest(1));

      // THEN each broken line is answered with its error code, in order
      assertThat(crawler.next(4)).extracting(f -> f.getJsonObject("data").getString("code"))
          .containsExactly("INVALID_JSON", "NOT_AN_OBJECT", "UNKNOWN_TYPE", "VALIDATION_FAILED");
      // AND the good message still works
      JsonObject response = crawler.next();
      assertThat(response.getString("type")).isEqualTo("job_response");
      assertThat(response.getJsonObject("data").getInteger("seq")).isEqualTo(1);
      // AND every rejection was reported to the error manager
      JsonObject report = awaitReport("UNKNOWN_TYPE");
      assertThat(report.getString("category")).isEqualTo("message_validation");
      assertThat(report.getString("refType")).isEqualTo("teleport");
      assertThat(report.getString("connectionId")).isNotBlank();
      awaitReport("INVALID_JSON");
      awaitReport("NOT_AN_OBJECT");
      awaitReport("VALIDATION_FAILED");
    }
  }

  @Test
  @DisplayName("A router rejection is written before the reply to a later message, and blank lines are ignored")
  void routerRejectionsKeepTheirPlace() throws Exception {
    // GIVEN a crawler on the Unix socket
    startHub(new JsonObject());
    try (TestCrawler crawler = unixCrawler()) {
      // WHEN it sends blank lines, a message the router rejects, and a job_request
      crawler.send("\n\r\n   \n".getBytes(StandardCharsets.UTF_8));
      crawler.send(TestCrawler.msg("heartbeat", new JsonObject().put("fail", true)));
      crawler.send(TestCrawler.jobRequest(2));

      // THEN the router's error frame comes first, then the job_response; nothing for the blanks
      JsonObject error = crawler.next();
      assertThat(error.getString("type")).isEqualTo("error");
      assertThat(error.getJsonObject("data").getString("refType")).isEqualTo("heartbeat");
      assertThat(crawler.next().getJsonObject("data").getInteger("seq")).isEqualTo(2);
      assertThat(router.received).hasSize(2);
    }
  }

  @Test
  @DisplayName("A complete over-long line arriving in one read gets MESSAGE_TOO_LARGE and the connection is closed")
  void oversizeLineInOneRead() throws Exception {
    // GIVEN a hub with a 1 KiB message limit and a crawler that already sent a valid message
    startHub(new JsonObject().put("maxMessageSize", 1024));
    try (TestCrawler crawler = unixCrawler()) {
      crawler.send(TestCrawler.jobRequest(1));
      // WHEN it sends a 5 KB line in one write
      byte[] line = ("{\"type\":\"heartbeat\",\"pad\":\"" + "x".repeat(5000) + "\"}\n").getBytes(StandardCharsets.UTF_8);
      crawler.send(line);

      // THEN the earlier reply comes first, then MESSAGE_TOO_LARGE, then the hub closes
      List<JsonObject> before = crawler.awaitClosed();
      assertThat(before).extracting(f -> f.getString("type")).containsExactly("job_response", "error");
      assertThat(before.get(1).getJsonObject("data").getString("code")).isEqualTo("MESSAGE_TOO_LARGE");
      String connectionId = lastConnectionId();
      JsonObject disconnected = awaitEvent("disconnected", connectionId);
      assertThat(disconnected.getString("reason")).isEqualTo("message_too_large");
      awaitReport("MESSAGE_TOO_LARGE");
    }
  }

  @Test
  @DisplayName("An over-long line arriving over several reads without a newline gets MESSAGE_TOO_LARGE and the connection is closed")
  void oversizeLineOverSeveralReads() throws Exception {
    // GIVEN a hub with a 1 KiB message limit
    startHub(new JsonObject().put("maxMessageSize", 1024));
    try (TestCrawler crawler = unixCrawler()) {
      // WHEN the crawler sends 700 bytes of an unfinished line (under the limit: nothing happens)
      crawler.send(("{\"type\":\"heartbeat\",\"pad\":\"" + "y".repeat(672)).getBytes(StandardCharsets.UTF_8));
      assertThat(crawler.silentFor(Duration.ofMillis(300))).isTrue();
      // AND then 700 more bytes of the same line
      crawler.send("z".repeat(700).getBytes(StandardCharsets.UTF_8));

      // THEN it gets MESSAGE_TOO_LARGE and the hub closes the connection
      List<JsonObject> before = crawler.awaitClosed();
      assertThat(before).hasSize(1);
      assertThat(before.get(0).getJsonObject("data").getString("code")).isEqualTo("MESSAGE_TOO_LARGE");
      assertThat(router.received).isEmpty();
    }
  }

  @Test
  @DisplayName("A jobs_discovered over maxMessageSize is named in the error (refType) and the message says which setting to raise")
  void oversizeDiscoveryIsNamed() throws Exception {
    // GIVEN a hub with a 1 KiB message limit
    startHub(new JsonObject().put("maxMessageSize", 1024));
    try (TestCrawler crawler = unixCrawler()) {
      // WHEN a crawler sends a jobs_discovered of 5 KB (its type first, as crawlers write it)
      crawler.send(("{\"type\":\"jobs_discovered\",\"jobId\":\"job-1\",\"data\":{\"discovered_jobs\":["
          + "{\"job_type\":\"crawl_project\",\"entity_id\":\"1\",\"namespace_path\":\"g/p\",\"entity_name\":\"p\"},".repeat(60)
          + "]}}\n").getBytes(StandardCharsets.UTF_8));

      // THEN the error frame names the type and the setting, and the hub closes the connection
      List<JsonObject> before = crawler.awaitClosed();
      assertThat(before).hasSize(1);
      JsonObject data = before.get(0).getJsonObject("data");
      assertThat(data.getString("code")).isEqualTo("MESSAGE_TOO_LARGE");
      assertThat(data.getString("refType")).isEqualTo("jobs_discovered");
      assertThat(data.getString("message")).contains("SOCKET_MAX_MESSAGE_SIZE");
      // AND the error record says so too
      assertThat(awaitReport("MESSAGE_TOO_LARGE").getString("refType")).isEqualTo("jobs_discovered");
    }
  }

  @Test
  @DisplayName("When the router is missing, a job_request still gets an empty job_response, followed by an INTERNAL error")
  void routerFailure() throws Exception {
    // GIVEN a hub whose router is gone
    startHub(new JsonObject());
    router.stop();
    try (TestCrawler crawler = unixCrawler()) {
      // WHEN a crawler sends a job_request and a heartbeat
      crawler.send(TestCrawler.jobRequest(5));
      crawler.send(TestCrawler.heartbeat("idle", 0));

      // THEN it gets exactly one (empty) job_response and an INTERNAL error for each message
      List<JsonObject> frames = crawler.next(3);
      assertThat(frames).extracting(f -> f.getString("type")).containsExactly("job_response", "error", "error");
      assertThat(frames.get(0).getJsonObject("data").getJsonArray("jobs")).isEmpty();
      assertThat(frames.get(1).getJsonObject("data").getString("code")).isEqualTo("INTERNAL");
      assertThat(frames.get(1).getJsonObject("data").getString("refType")).isEqualTo("job_request");
      assertThat(frames.get(2).getJsonObject("data").getString("refType")).isEqualTo("heartbeat");
      // AND the connection is still open
      crawler.send(TestCrawler.jobRequest(6));
      assertThat(crawler.next().getString("type")).isEqualTo("job_response");
    }
  }

  @Test
  @DisplayName("The Unix socket file gets the configured mode and a stale file is replaced")
  void socketFileMode() throws Exception {
    // GIVEN a stale socket file left by a crashed hub
    Path stale = dir.resolve("hub.sock");
    try (var ch = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
      ch.bind(java.net.UnixDomainSocketAddress.of(stale));
    }
    assertThat(Files.exists(stale)).isTrue();

    // WHEN the hub starts
    startHub(new JsonObject().put("socketMode", "rw-rw----"));

    // THEN it listens there with mode 0660 and crawlers can connect
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(stale))).isEqualTo("rw-rw----");
    try (TestCrawler crawler = unixCrawler()) {
      crawler.send(TestCrawler.jobRequest(1));
      assertThat(crawler.next().getString("type")).isEqualTo("job_response");
    }
  }

  @Test
  @DisplayName("Preparing the socket path refuses to delete a live socket or a regular file")
  void prepareSocketPathIsCareful() throws Exception {
    // GIVEN a running hub, and a regular file where another config points its socket
    startHub(new JsonObject());
    Path regular = dir.resolve("data.txt");
    Files.writeString(regular, "precious");

    // WHEN the socket path is prepared again for the live socket and for the regular file
    // THEN both are refused and nothing is deleted
    assertThatThrownBy(() -> GatewayVerticle.prepareSocketPath(cfg))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("listening");
    assertThatThrownBy(() -> GatewayVerticle.prepareSocketPath(config(new JsonObject().put("socketPath", regular.toString()))))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("not a socket");
    assertThat(Files.readString(regular)).isEqualTo("precious");
    try (TestCrawler crawler = unixCrawler()) {
      crawler.send(TestCrawler.jobRequest(1));
      assertThat(crawler.next().getString("type")).isEqualTo("job_response");
    }
  }

  @Test
  @DisplayName("A gateway that cannot bind its TCP port fails to deploy and leaves nothing listening")
  void failedStart() throws Exception {
    // GIVEN a TCP port already taken
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
      cfg = config(new JsonObject().put("tcpEnabled", true).put("port", taken.getLocalPort()));
      GatewayVerticle.prepareSocketPath(cfg);
      // WHEN the gateway is deployed
      Throwable failure = vertx.deployVerticle(new GatewayVerticle(cfg)).toCompletionStage()
          .handle((ok, err) -> err).toCompletableFuture().get();
      // THEN deployment fails and the Unix listener it had opened is closed again
      assertThat(failure).isNotNull();
      assertThatThrownBy(() -> TestCrawler.unix(cfg.socketPath()).close()).isInstanceOf(java.io.IOException.class);
    }
  }
}
