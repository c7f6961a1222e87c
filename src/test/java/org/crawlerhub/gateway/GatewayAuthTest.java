package org.crawlerhub.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SelfSignedCertificate;
import java.util.List;
import org.crawlerhub.bus.Addresses;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
@DisplayName("Gateway authentication and hello")
class GatewayAuthTest extends GatewayTestBase {

  private JsonObject tcp() throws Exception {
    return new JsonObject().put("tcpEnabled", true).put("port", freePort());
  }

  private void assertUnauthenticatedAndClosed(TestCrawler crawler) throws Exception {
    List<JsonObject> frames = crawler.awaitClosed();
    assertThat(frames).hasSize(1);
    assertThat(frames.get(0).getString("type")).isEqualTo("error");
    assertThat(frames.get(0).getJsonObject("data").getString("code")).isEqualTo("UNAUTHENTICATED");
  }

  @Test
  @DisplayName("A TCP crawler whose first message is not hello gets UNAUTHENTICATED and is disconnected")
  void tcpWithoutHello() throws Exception {
    // GIVEN a hub with TCP on
    startHub(tcp());
    try (TestCrawler crawler = tcpCrawler()) {
      // WHEN the crawler starts with a job_request
      crawler.send(TestCrawler.jobRequest(1));
      // THEN it is refused and closed, nothing reached the router, and a rejected event was published
      assertUnauthenticatedAndClosed(crawler);
      assertThat(router.received).isEmpty();
      JsonObject rejected = awaitEvent(e -> "rejected".equals(e.getString("event")));
      assertThat(rejected.getString("code")).isEqualTo("UNAUTHENTICATED");
      assertThat(rejected.getString("transport")).isEqualTo("tcp");
      assertThat(awaitReport("UNAUTHENTICATED").getString("category")).isEqualTo("authentication");
    }
  }

  @Test
  @DisplayName("A TCP hello with a wrong or missing token gets UNAUTHENTICATED and is disconnected")
  void tcpWrongToken() throws Exception {
    // GIVEN a hub with TCP on
    startHub(tcp());
    // WHEN crawlers say hello with a wrong token, and without one
    try (TestCrawler wrong = tcpCrawler(); TestCrawler missing = tcpCrawler()) {
      wrong.send(TestCrawler.hello("crawler-1", TOKEN + "x"));
      missing.send(TestCrawler.hello("crawler-2", null));
      // THEN both are refused and closed
      assertUnauthenticatedAndClosed(wrong);
      assertUnauthenticatedAndClosed(missing);
      assertThat(events).noneMatch(e -> "authenticated".equals(e.getString("event")));
    }
  }

  @Test
  @DisplayName("A TCP connection that sends nothing within authTimeout is closed")
  void authTimeout() throws Exception {
    // GIVEN a hub with a 300 ms auth timeout
    startHub(tcp().put("authTimeout", 300));
    try (TestCrawler crawler = tcpCrawler()) {
      // WHEN the crawler stays silent
      // THEN the hub closes the connection and reports it as rejected
      assertUnauthenticatedAndClosed(crawler);
      JsonObject rejected = awaitEvent(e -> "rejected".equals(e.getString("event")));
      assertThat(rejected.getString("code")).isEqualTo("UNAUTHENTICATED");
      awaitEvent(e -> "disconnected".equals(e.getString("event")) && "unauthenticated".equals(e.getString("reason")));
    }
  }

  @Test
  @DisplayName("A TCP crawler with the right token is welcomed and its messages carry its crawlerId")
  void tcpWithToken() throws Exception {
    // GIVEN a hub with TCP on
    startHub(tcp());
    try (TestCrawler crawler = tcpCrawler()) {
      // WHEN the crawler says hello with a configured token
      crawler.send(TestCrawler.hello("crawler-7", TOKEN));

      // THEN it is welcomed with its id and the hub's limits
      JsonObject welcome = crawler.next();
      assertThat(welcome.getString("type")).isEqualTo("welcome");
      JsonObject data = welcome.getJsonObject("data");
      assertThat(data.getString("crawlerId")).isEqualTo("crawler-7");
      assertThat(data.getString("nodeId")).isEqualTo("node-a");
      assertThat(data.getInteger("protocolVersion")).isEqualTo(1);
      assertThat(data.getLong("heartbeatTimeout")).isEqualTo(cfg.heartbeatTimeout());
      // AND an authenticated event names its version and capabilities
      JsonObject ev = awaitEvent("authenticated", "crawler-7");
      assertThat(ev.getString("version")).isEqualTo("1.4.2");
      assertThat(ev.getJsonArray("capabilities")).containsExactly("areas");
      // AND its messages reach the router with its crawlerId
      crawler.send(TestCrawler.jobRequest(1));
      assertThat(crawler.next().getString("type")).isEqualTo("job_response");
      var headers = router.received.peek().headers();
      assertThat(headers.get(Addresses.Headers.CRAWLER_ID)).isEqualTo("crawler-7");
      assertThat(headers.get(Addresses.Headers.NODE_ID)).isEqualTo("node-a");
      assertThat(headers.get(Addresses.Headers.TRANSPORT)).isEqualTo("tcp");
      assertThat(headers.get(Addresses.Headers.CONNECTION_ID)).startsWith("node-a-");
    }
  }

  @Test
  @DisplayName("A hello and the messages pipelined right behind it are all accepted, welcome first")
  void pipelinedHello() throws Exception {
    // GIVEN a hub with TCP on
    startHub(tcp());
    try (TestCrawler crawler = tcpCrawler()) {
      // WHEN hello and a job_request arrive in one write
      crawler.send((TestCrawler.hello("crawler-8", TOKEN).encode() + "\n"
          + TestCrawler.jobRequest(3).encode() + "\n").getBytes());
      // THEN welcome comes first, then the job_response
      assertThat(crawler.next(2)).extracting(f -> f.getString("type")).containsExactly("welcome", "job_response");
    }
  }

  @Test
  @DisplayName("An invalid hello on the Unix socket gets VALIDATION_FAILED and the connection stays open")
  void invalidHelloOnUnix() throws Exception {
    // GIVEN a crawler on the trusted Unix socket
    startHub(new JsonObject());
    try (TestCrawler crawler = unixCrawler()) {
      // WHEN it says hello without a crawlerId
      crawler.send(TestCrawler.msg("hello", new JsonObject().put("version", "1")));
      // THEN it gets VALIDATION_FAILED naming the field
      JsonObject error = crawler.next();
      assertThat(error.getJsonObject("data").getString("code")).isEqualTo("VALIDATION_FAILED");
      assertThat(error.getJsonObject("data").getString("message")).contains("data.crawlerId");
      // AND a valid hello (no token needed on the Unix socket) is welcomed
      crawler.send(TestCrawler.hello("crawler-u", null));
      assertThat(crawler.next().getJsonObject("data").getString("crawlerId")).isEqualTo("crawler-u");
    }
  }

  @Test
  @DisplayName("TCP with TLS from PEM key and certificate accepts an authenticated crawler")
  void tls() throws Exception {
    // GIVEN a hub with TCP over TLS (self-signed PEM files)
    SelfSignedCertificate cert = SelfSignedCertificate.create("localhost");
    startHub(tcp().put("tls", new JsonObject().put("enabled", true)
        .put("keyPath", cert.privateKeyPath()).put("certPath", cert.certificatePath())));
    try (TestCrawler crawler = TestCrawler.tls(cfg.port())) {
      // WHEN a crawler says hello over TLS and asks for jobs
      crawler.send(TestCrawler.hello("crawler-tls", TOKEN));
      crawler.send(TestCrawler.jobRequest(9));
      // THEN it is welcomed and answered
      assertThat(crawler.next(2)).extracting(f -> f.getString("type")).containsExactly("welcome", "job_response");
    } finally {
      cert.delete();
    }
  }
}
