package org.crawlerhub.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.protocol.Frames;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
@DisplayName("Gateway back-pressure")
class GatewayBackPressureTest extends GatewayTestBase {

  private static byte[] jobRequests(int n, int pad) {
    StringBuilder all = new StringBuilder();
    for (int i = 0; i < n; i++) {
      JsonObject m = TestCrawler.jobRequest(i);
      m.getJsonObject("data").put("pad", "p".repeat(pad));
      all.append(m.encode()).append('\n');
    }
    return all.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("While the router holds its replies, the gateway stops reading after maxInFlightPerConnection messages")
  void inFlightLimitPausesReading() throws Exception {
    // GIVEN a hub allowing 4 in-flight messages per connection and a router that holds every reply
    startHub(new JsonObject().put("maxInFlightPerConnection", 4));
    router.stop();
    Queue<Message<JsonObject>> held = new ConcurrentLinkedQueue<>();
    done(vertx.eventBus().<JsonObject>consumer(Addresses.inboundPartition(0), held::add).completion());
    int n = 500;
    try (TestCrawler crawler = unixCrawler()) {
      // WHEN the crawler sends 500 messages of about 2 KB
      CompletableFuture<Void> writing = crawler.sendAsync(jobRequests(n, 2000));

      // THEN only a bounded number reaches the router (the limit, plus at most one socket read)
      await().atMost(Duration.ofSeconds(10)).until(() -> held.size() >= 4);
      await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> held.size() <= 4 + 64);

      // WHEN the router answers whatever it holds, repeatedly
      JsonObject reply = new JsonObject().put("frames", new JsonArray().add(Frames.jobResponse(new JsonArray())));
      long timer = vertx.setPeriodic(5, id -> {
        Message<JsonObject> m;
        while ((m = held.poll()) != null) {
          m.reply(reply);
        }
      });
      // THEN every message gets its reply and reading resumed until the end
      assertThat(crawler.next(n)).allMatch(f -> "job_response".equals(f.getString("type")));
      writing.join();
      vertx.cancelTimer(timer);
    }
  }

  @Test
  @DisplayName("A crawler that does not read its replies makes the gateway stop reading from it, and all replies arrive once it reads")
  void slowReaderPausesReading() throws Exception {
    // GIVEN a router answering each job_request with a 64 KB job_response
    startHub(new JsonObject());
    router.stop();
    Queue<Integer> seen = new ConcurrentLinkedQueue<>();
    JsonArray bigJobs = new JsonArray();
    for (int i = 0; i < 64; i++) {
      bigJobs.add(new JsonObject().put("id", "job-" + i).put("pad", "q".repeat(1000)));
    }
    done(vertx.eventBus().<JsonObject>consumer(Addresses.inboundPartition(0), m -> {
      int seq = m.body().getJsonObject("data").getInteger("seq");
      seen.add(seq);
      JsonObject f = Frames.jobResponse(bigJobs);
      f.getJsonObject("data").put("seq", seq);
      m.reply(new JsonObject().put("frames", new JsonArray().add(f)));
    }).completion());
    int n = 2000; // 2000 x 64 KB of replies: far more than socket buffers hold
    try (TestCrawler crawler = TestCrawler.unixNotReading(cfg.socketPath())) {
      // WHEN the crawler sends 2000 job_requests without reading
      CompletableFuture<Void> writing = crawler.sendAsync(jobRequests(n, 0));
      // THEN the gateway stops taking requests while its replies cannot be written
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(new Callable<>() {
        private int last = -1;

        @Override
        public Boolean call() {
          int now = seen.size();
          boolean stalled = now == last && now > 0 && now < n;
          last = now;
          return stalled;
        }
      });
      // AND once the crawler reads, every reply arrives in order
      crawler.startReading();
      List<JsonObject> replies = crawler.next(n);
      writing.join();
      assertThat(replies).extracting(f -> f.getJsonObject("data").getInteger("seq")).isSorted().hasSize(n);
    }
  }
}
