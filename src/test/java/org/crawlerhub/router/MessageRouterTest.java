package org.crawlerhub.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.ProtocolException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MessageRouterTest {

  private static RoutedMessage message(String type, String connectionId, int seq) {
    JsonObject env = new JsonObject().put("type", type).put("timestamp", "2025-07-30T10:15:01.180Z")
        .put("data", new JsonObject().put("seq", seq));
    return new RoutedMessage(type, env, connectionId, connectionId, "node-1", "unix", System.nanoTime());
  }

  /** Records the order of calls; priority is fixed at construction. */
  private record Recording(String name, int priority, List<String> calls) implements RouterMiddleware {
    @Override
    public Future<JsonObject> beforeProcess(RoutedMessage ctx) {
      calls.add("before " + name);
      return RouterMiddleware.proceed();
    }

    @Override
    public void afterProcess(RoutedMessage ctx, HandlerResult result) {
      calls.add("after " + name + " " + (result.success() ? "accepted" : result.error().code()));
    }
  }

  private static MessageRouter.Outcome routeNow(MessageRouter router, RoutedMessage m) {
    List<MessageRouter.Outcome> out = new ArrayList<>();
    router.route(m, (msg, r) -> out.add(new MessageRouter.Outcome(msg, r)));
    assertThat(out).as("synchronous chain completes synchronously").hasSize(1);
    return out.get(0);
  }

  @Test
  @DisplayName("middleware runs highest priority first, afterProcess runs in reverse order")
  void middlewareRunsByPriority() {
    // GIVEN middleware added in a mixed order and a handler
    List<String> calls = new ArrayList<>();
    MessageRouter router = new MessageRouter()
        .addMiddleware(new Recording("low", 1, calls))
        .addMiddleware(new Recording("high", 100, calls))
        .addMiddleware(new Recording("mid", 50, calls))
        .registerHandler("heartbeat", 0, ctx -> {
          calls.add("handler");
          return HandlerResult.acceptedFuture();
        });
    // WHEN a message is routed
    MessageRouter.Outcome o = routeNow(router, message("heartbeat", "c1", 1));
    // THEN the order is by priority, then the handler, then afterProcess in reverse
    assertThat(o.result().success()).isTrue();
    assertThat(calls).containsExactly("before high", "before mid", "before low", "handler",
        "after low accepted", "after mid accepted", "after high accepted");
    assertThat(router.middlewares()).extracting(RouterMiddleware::priority).containsExactly(100, 50, 1);
  }

  @Test
  @DisplayName("a middleware that rejects stops the chain and only the middleware that ran see afterProcess")
  void rejectionStopsTheChain() {
    // GIVEN a rejecting middleware between two recording ones
    List<String> calls = new ArrayList<>();
    MessageRouter router = new MessageRouter()
        .addMiddleware(new Recording("outer", 100, calls))
        .addMiddleware(new Recording("inner", 10, calls))
        .addMiddleware(new RouterMiddleware() {
          @Override
          public int priority() {
            return 50;
          }

          @Override
          public Future<JsonObject> beforeProcess(RoutedMessage ctx) {
            return Future.failedFuture(new ProtocolException(ErrorCode.VALIDATION_FAILED, "data.x: required"));
          }
        })
        .registerHandler("heartbeat", 0, ctx -> {
          calls.add("handler");
          return HandlerResult.acceptedFuture();
        });
    // WHEN a message is routed
    MessageRouter.Outcome o = routeNow(router, message("heartbeat", "c1", 1));
    // THEN it is rejected with the middleware's code, the handler and the inner middleware never ran
    assertThat(o.result().success()).isFalse();
    assertThat(o.result().error().code()).isEqualTo(ErrorCode.VALIDATION_FAILED);
    assertThat(calls).containsExactly("before outer", "after outer VALIDATION_FAILED");
  }

  @Test
  @DisplayName("an envelope returned by beforeProcess replaces the message for later middleware and the handler")
  void beforeProcessReplacesTheMessage() {
    // GIVEN a middleware that rewrites heartbeat into a custom type, and handlers for both types
    List<String> seen = new ArrayList<>();
    MessageRouter router = new MessageRouter()
        .addMiddleware(new RouterMiddleware() {
          @Override
          public int priority() {
            return 10;
          }

          @Override
          public Future<JsonObject> beforeProcess(RoutedMessage ctx) {
            return Future.succeededFuture(ctx.envelope().copy().put("type", "audited_heartbeat")
                .put("audited", true));
          }
        })
        .registerHandler("heartbeat", 0, ctx -> {
          seen.add("heartbeat");
          return HandlerResult.acceptedFuture();
        })
        .registerHandler("audited_heartbeat", 0, ctx -> {
          seen.add(ctx.type() + " audited=" + ctx.envelope().getBoolean("audited"));
          return HandlerResult.acceptedFuture();
        });
    // WHEN a heartbeat is routed
    MessageRouter.Outcome o = routeNow(router, message("heartbeat", "c1", 1));
    // THEN the handler of the replaced type saw the replaced envelope, and the outcome carries it
    assertThat(seen).containsExactly("audited_heartbeat audited=true");
    assertThat(o.message().type()).isEqualTo("audited_heartbeat");
    assertThat(o.message().connectionId()).isEqualTo("c1");
  }

  @Test
  @DisplayName("the highest-priority handler for a type handles it, and on equal priority the latest registration wins")
  void handlerPriorityRule() {
    // GIVEN three handlers for one type
    List<String> seen = new ArrayList<>();
    MessageHandler low = ctx -> {
      seen.add("low");
      return HandlerResult.acceptedFuture();
    };
    MessageHandler high = ctx -> {
      seen.add("high");
      return HandlerResult.acceptedFuture();
    };
    MessageHandler highLater = ctx -> {
      seen.add("high-later");
      return HandlerResult.acceptedFuture();
    };
    MessageRouter router = new MessageRouter()
        .registerHandler("job_started", 0, low)
        .registerHandler("job_started", 5, high);
    // WHEN routed, THEN the higher priority wins
    routeNow(router, message("job_started", "c1", 1));
    // WHEN another handler registers at the same priority, THEN it replaces the earlier one
    router.registerHandler("job_started", 5, highLater);
    routeNow(router, message("job_started", "c1", 2));
    // WHEN it is unregistered, THEN the previous winner handles again
    router.unregisterHandler("job_started", highLater);
    routeNow(router, message("job_started", "c1", 3));
    assertThat(seen).containsExactly("high", "high-later", "high");
  }

  @Test
  @DisplayName("a type without a handler is rejected with UNKNOWN_TYPE, and hello is explained")
  void unknownTypeIsRejected() {
    MessageRouter router = new MessageRouter();
    // WHEN an unhandled type and a hello are routed
    MessageRouter.Outcome unknown = routeNow(router, message("bogus", "c1", 1));
    MessageRouter.Outcome hello = routeNow(router, message("hello", "c1", 2));
    // THEN both are UNKNOWN_TYPE with the type named
    assertThat(unknown.result().error().code()).isEqualTo(ErrorCode.UNKNOWN_TYPE);
    assertThat(unknown.result().error().getMessage()).contains("bogus");
    assertThat(hello.result().error().code()).isEqualTo(ErrorCode.UNKNOWN_TYPE);
    assertThat(hello.result().error().getMessage()).contains("gateway");
  }

  @Test
  @DisplayName("a handler that throws or fails unexpectedly yields INTERNAL, never an exception")
  void unexpectedFailuresBecomeInternal() {
    // GIVEN handlers that throw, fail and return null
    MessageRouter router = new MessageRouter()
        .registerHandler("a", 0, ctx -> {
          throw new IllegalStateException("boom");
        })
        .registerHandler("b", 0, ctx -> Future.failedFuture(new RuntimeException("nope")))
        .registerHandler("c", 0, ctx -> null)
        .registerHandler("d", 0, ctx -> Future.failedFuture(
            new ProtocolException(ErrorCode.STALE_LEASE, "job j1 is leased to crawler-2")));
    // WHEN routed, THEN each gives a rejection with the mapped code
    assertThat(routeNow(router, message("a", "c1", 1)).result().error().code()).isEqualTo(ErrorCode.INTERNAL);
    assertThat(routeNow(router, message("b", "c1", 2)).result().error().code()).isEqualTo(ErrorCode.INTERNAL);
    assertThat(routeNow(router, message("c", "c1", 3)).result().error().code()).isEqualTo(ErrorCode.INTERNAL);
    assertThat(routeNow(router, message("d", "c1", 4)).result().error().code()).isEqualTo(ErrorCode.STALE_LEASE);
  }

  @Test
  @DisplayName("an async middleware holds back later messages of the same connection but not of others")
  void asyncMiddlewareKeepsPerConnectionOrder() {
    // GIVEN a middleware that is async for message seq 1 only, and a handler recording order
    List<Promise<JsonObject>> gates = new ArrayList<>();
    List<String> handled = new ArrayList<>();
    List<String> completed = new ArrayList<>();
    MessageRouter router = new MessageRouter()
        .addMiddleware(new RouterMiddleware() {
          @Override
          public int priority() {
            return 1;
          }

          @Override
          public Future<JsonObject> beforeProcess(RoutedMessage ctx) {
            if (ctx.envelope().getJsonObject("data").getInteger("seq") == 1) {
              Promise<JsonObject> p = Promise.promise();
              gates.add(p);
              return p.future();
            }
            return RouterMiddleware.proceed();
          }
        })
        .registerHandler("job_progress", 0, ctx -> {
          handled.add(ctx.connectionId() + "#" + ctx.envelope().getJsonObject("data").getInteger("seq"));
          return HandlerResult.acceptedFuture();
        });
    // WHEN c1 sends 1 (async), 2, 3 and c2 sends 4
    for (RoutedMessage m : List.of(message("job_progress", "c1", 1), message("job_progress", "c1", 2),
        message("job_progress", "c1", 3), message("job_progress", "c2", 4))) {
      router.route(m, (msg, r) -> completed.add(msg.envelope().getJsonObject("data").getInteger("seq") + ""));
    }
    // THEN c2 is not held back while c1 waits
    assertThat(handled).containsExactly("c2#4");
    // WHEN the async step completes
    gates.get(0).complete();
    // THEN c1's messages are handled in arrival order
    assertThat(handled).containsExactly("c2#4", "c1#1", "c1#2", "c1#3");
    assertThat(completed).containsExactly("4", "1", "2", "3");
  }

  @Test
  @DisplayName("the Future API reports the outcome of a routed message")
  void futureApi() throws Exception {
    // GIVEN a handler with frames
    MessageRouter router = new MessageRouter().registerHandler("job_request", 0,
        ctx -> Future.succeededFuture(HandlerResult.accepted(new JsonArray().add(new JsonObject().put("type", "job_response")))));
    // WHEN routed through the Future API
    MessageRouter.Outcome o = router.route(message("job_request", "c1", 1)).await(5, TimeUnit.SECONDS);
    // THEN the frames are there
    assertThat(o.result().frames()).hasSize(1);
  }

  @Test
  @DisplayName("a handler future completed on a foreign thread still finishes on the router's event loop")
  void asyncCompletionReturnsToTheRouterContext() throws Exception {
    // GIVEN a router bound to an event-loop context and a handler completing from a plain thread
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      io.vertx.core.Context ctx = vertx.getOrCreateContext();
      MessageRouter router = new MessageRouter().registerHandler("job_started", 0, m -> {
        Promise<HandlerResult> p = Promise.promise();
        new Thread(() -> p.complete(HandlerResult.accepted()), "foreign").start();
        return p.future();
      });
      Promise<String> finishedOn = Promise.promise();
      // WHEN a message is routed from that context
      ctx.runOnContext(v -> {
        router.bindTo(ctx);
        router.route(message("job_started", "c1", 1),
            (msg, r) -> finishedOn.complete(io.vertx.core.Context.isOnEventLoopThread()
                + " " + Thread.currentThread().getName()));
      });
      // THEN the completion ran on the event loop, not on the foreign thread
      String where = finishedOn.future().await(10, TimeUnit.SECONDS);
      assertThat(where).startsWith("true vert.x-eventloop-thread-");
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
