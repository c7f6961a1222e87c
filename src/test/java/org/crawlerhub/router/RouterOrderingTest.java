package org.crawlerhub.router;

import static org.assertj.core.api.Assertions.assertThat;
import static org.crawlerhub.router.RouterTestSupport.await;
import static org.crawlerhub.router.RouterTestSupport.config;
import static org.crawlerhub.router.RouterTestSupport.headers;
import static org.crawlerhub.router.RouterTestSupport.jobProgress;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.router.RouterTestSupport.Gateway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RouterOrderingTest {
  private static final Logger LOG = LoggerFactory.getLogger(RouterOrderingTest.class);
  private static final int MESSAGES = 10_000;

  private Vertx vertx;

  @BeforeEach
  void startVertx() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stopVertx() {
    await(vertx.close());
  }

  @Test
  @DisplayName("10,000 messages of one connection reach the jobs service in order and their replies come back in order")
  void perConnectionOrder() {
    // GIVEN two router instances and a jobs service that echoes each progress count in a frame
    await(RouterVerticle.deploy(vertx, config(new JsonObject()
        .put("instances", new JsonObject().put("router", 2)))));
    List<Long> jobsSaw = new ArrayList<>(MESSAGES);
    await(vertx.eventBus().<JsonObject>consumer(Addresses.JOBS_COMMAND, m -> {
      long processed = m.body().getJsonObject("data").getLong("processed");
      jobsSaw.add(processed);
      m.reply(new JsonObject().put("frames", new JsonArray()
          .add(new JsonObject().put("type", "ack").put("processed", processed))));
    }).completion());

    // WHEN one connection sends 10,000 job_progress messages without waiting for replies
    Gateway gateway = new Gateway(vertx);
    List<Long> replies = new ArrayList<>(MESSAGES);
    Promise<Void> allReplied = Promise.promise();
    DeliveryOptions opts = headers("conn-1", "crawler-1");
    long start = System.nanoTime();
    await(gateway.on(() -> {
      for (int i = 0; i < MESSAGES; i++) {
        vertx.eventBus().<JsonObject>request(Addresses.inboundPartition(1), jobProgress("j1", i), opts)
            .onSuccess(r -> {
              replies.add(r.body().getJsonArray("frames").getJsonObject(0).getLong("processed"));
              if (replies.size() == MESSAGES) {
                allReplied.complete();
              }
            })
            .onFailure(allReplied::tryFail);
      }
      return Future.succeededFuture();
    }));
    await(allReplied.future());
    long micros = (System.nanoTime() - start) / 1000;
    LOG.info("{} messages through the router and a fake jobs service in {} ms ({} msgs/s)", MESSAGES,
        micros / 1000, MESSAGES * 1_000_000L / Math.max(1, micros));

    // THEN the jobs service saw them in order, and the replies came back in the same order
    List<Long> expected = IntStream.range(0, MESSAGES).mapToObj(i -> (long) i).toList();
    assertThat(jobsSaw).isEqualTo(expected);
    assertThat(replies).isEqualTo(expected);
  }
}
