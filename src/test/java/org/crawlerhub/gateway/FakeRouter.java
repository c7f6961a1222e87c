package org.crawlerhub.gateway;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.Frames;

/**
 * Stands in for the router on {@code hub.crawler.inbound.0}: always replies {@code {"frames":[...]}}
 * — a job_response echoing {@code data.seq} for job_request (every 7th one late, so replies
 * complete out of order; one with {@code data.delayMs} that late), an error frame for a message
 * marked {@code data.fail}, nothing else.
 */
final class FakeRouter {
  final Queue<Message<JsonObject>> received = new ConcurrentLinkedQueue<>();
  private final Vertx vertx;
  private MessageConsumer<JsonObject> consumer;

  private FakeRouter(Vertx vertx) {
    this.vertx = vertx;
  }

  static FakeRouter start(Vertx vertx) {
    FakeRouter r = new FakeRouter(vertx);
    r.consumer = vertx.eventBus().consumer(Addresses.inboundPartition(0), r::handle);
    await(r.consumer.completion());
    return r;
  }

  void stop() {
    await(consumer.unregister());
  }

  private void handle(Message<JsonObject> m) {
    received.add(m);
    JsonObject msg = m.body();
    JsonObject data = msg.getJsonObject("data", new JsonObject());
    JsonArray frames = new JsonArray();
    if (data.getBoolean("fail", false)) {
      frames.add(Frames.error(ErrorCode.VALIDATION_FAILED, "data.fail: rejected by the test router",
          msg.getString("type"), msg.getString("jobId")));
    } else if ("job_request".equals(msg.getString("type"))) {
      JsonObject response = Frames.jobResponse(new JsonArray());
      response.getJsonObject("data").put("seq", data.getValue("seq"));
      frames.add(response);
    }
    JsonObject reply = new JsonObject().put("frames", frames);
    if (data.getValue("delayMs") instanceof Integer delay) {
      vertx.setTimer(delay, id -> m.reply(reply));
    } else if (data.getValue("seq") instanceof Integer seq && seq % 7 == 0) {
      vertx.setTimer(1 + seq % 3, id -> m.reply(reply));
    } else {
      m.reply(reply);
    }
  }

  static <T> T await(Future<T> f) {
    try {
      return f.await(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
