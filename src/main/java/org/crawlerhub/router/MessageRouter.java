package org.crawlerhub.router;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.Frames;
import org.crawlerhub.protocol.MessageType;
import org.crawlerhub.protocol.ProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The middleware chain and the handler registry, in plain Java (no verticle, no event bus), so an
 * embedding application can plug in:
 *
 * <pre>{@code
 * RouterVerticle.deploy(vertx, cfg, router -> router
 *     .registerHandler("job_progress", 10, myProgressHandler)
 *     .addMiddleware(myAuditMiddleware));
 * }</pre>
 *
 * <p><b>Middleware order:</b> highest {@link RouterMiddleware#priority()} first; equal priorities
 * run in the order they were added. {@code afterProcess} runs in reverse order.
 *
 * <p><b>Handler rule:</b> several handlers may be registered for one type; only the one with the
 * highest priority handles it (there is no fall-through). On equal priority the one registered
 * last wins, so an application replaces a built-in handler (priority
 * {@link #BUILTIN_PRIORITY}) by registering its own at the same or a higher priority. A type
 * with no handler is rejected with {@code UNKNOWN_TYPE}.
 *
 * <p><b>Threading:</b> configure it before the router verticle starts; {@link #route} is called
 * from that verticle's event loop only. Each router verticle instance has its own
 * {@code MessageRouter}, so a handler object shared by several instances must be thread-safe.
 */
public final class MessageRouter {
  /** Priority of the router's own handlers. */
  public static final int BUILTIN_PRIORITY = 0;

  private static final Logger LOG = LoggerFactory.getLogger(MessageRouter.class);
  private static final String NO_CONNECTION = "";

  /** Called once per routed message with the (possibly replaced) message and its outcome. */
  @FunctionalInterface
  public interface Completion {
    void complete(RoutedMessage message, HandlerResult result);
  }

  /** A routed message after the chain: the message the handler saw and the outcome. */
  public record Outcome(RoutedMessage message, HandlerResult result) {}

  private record Registration(int priority, long seq, MessageHandler handler) {}

  private record Pending(RoutedMessage message, Completion done) {}

  private static final Comparator<Registration> WINNER_FIRST =
      Comparator.comparingInt(Registration::priority).thenComparingLong(Registration::seq).reversed();

  private volatile RouterMiddleware[] chain = new RouterMiddleware[0];
  private final Map<String, List<Registration>> registrations = new HashMap<>();
  private volatile Map<String, MessageHandler> winners = Map.of();
  private long seq;
  /** Connections whose middleware went async: later messages wait here to keep their order. */
  private final Map<String, ArrayDeque<Pending>> heldBack = new HashMap<>();
  /** When bound, async steps that complete on another thread continue on this context. */
  private Context context;
  private Thread contextThread;

  /**
   * Confines routing to {@code context}: a middleware or handler future completed on another
   * thread (a worker, another verticle) resumes on this context, so handlers, middleware and
   * the completion callback always run on the router's event loop. Call on that context.
   */
  public MessageRouter bindTo(Context context) {
    this.context = context;
    this.contextThread = Thread.currentThread();
    return this;
  }

  private void onContext(Runnable step) {
    if (context == null || Thread.currentThread() == contextThread) {
      step.run();
    } else {
      context.runOnContext(v -> step.run());
    }
  }

  // ---------------------------------------------------------------- configuration

  public synchronized MessageRouter addMiddleware(RouterMiddleware middleware) {
    Objects.requireNonNull(middleware, "middleware");
    RouterMiddleware[] next = Arrays.copyOf(chain, chain.length + 1);
    next[chain.length] = middleware;
    // stable sort: equal priorities keep insertion order
    Arrays.sort(next, Comparator.comparingInt(RouterMiddleware::priority).reversed());
    chain = next;
    return this;
  }

  public synchronized boolean removeMiddleware(RouterMiddleware middleware) {
    List<RouterMiddleware> l = new ArrayList<>(Arrays.asList(chain));
    boolean removed = l.remove(middleware);
    chain = l.toArray(new RouterMiddleware[0]);
    return removed;
  }

  /** The chain in execution order. */
  public List<RouterMiddleware> middlewares() {
    return List.of(chain);
  }

  public MessageRouter registerHandler(MessageType type, int priority, MessageHandler handler) {
    return registerHandler(type.wire(), priority, handler);
  }

  /** Registers {@code handler} for messages whose {@code type} is {@code type} (see class doc). */
  public synchronized MessageRouter registerHandler(String type, int priority, MessageHandler handler) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(handler, "handler");
    List<Registration> l = registrations.computeIfAbsent(type, k -> new ArrayList<>());
    l.add(new Registration(priority, seq++, handler));
    l.sort(WINNER_FIRST);
    publishWinners();
    return this;
  }

  public synchronized boolean unregisterHandler(String type, MessageHandler handler) {
    List<Registration> l = registrations.get(type);
    boolean removed = l != null && l.removeIf(r -> r.handler() == handler);
    if (l != null && l.isEmpty()) {
      registrations.remove(type);
    }
    publishWinners();
    return removed;
  }

  private void publishWinners() {
    Map<String, MessageHandler> w = new HashMap<>();
    registrations.forEach((t, l) -> w.put(t, l.get(0).handler()));
    winners = w;
  }

  /** The handler that handles {@code type}, or null. */
  public MessageHandler handlerFor(String type) {
    return type == null ? null : winners.get(type);
  }

  public Set<String> handledTypes() {
    return winners.keySet();
  }

  // ---------------------------------------------------------------- routing

  /** Routes one message; the future completes with the outcome (never fails). */
  public Future<Outcome> route(RoutedMessage message) {
    Promise<Outcome> p = Promise.promise();
    route(message, (m, r) -> p.complete(new Outcome(m, r)));
    return p.future();
  }

  /**
   * Routes one message and calls {@code done} exactly once, synchronously when every step is
   * synchronous. Rejections and unexpected failures are results, never exceptions.
   */
  public void route(RoutedMessage message, Completion done) {
    if (!heldBack.isEmpty()) {
      ArrayDeque<Pending> q = heldBack.get(laneKey(message));
      if (q != null) {
        q.add(new Pending(message, done));
        return;
      }
    }
    runFrom(chain, 0, message, done);
  }

  private static String laneKey(RoutedMessage m) {
    return m.connectionId() == null ? NO_CONNECTION : m.connectionId();
  }

  /**
   * Runs middleware {@code i..} then the handler. Returns false when a middleware went async
   * (the connection's lane is then held back until it resumes).
   */
  private boolean runFrom(RouterMiddleware[] mws, int i, RoutedMessage current, Completion done) {
    for (; i < mws.length; i++) {
      Future<JsonObject> f = before(mws[i], current);
      if (!f.isComplete()) {
        heldBack.computeIfAbsent(laneKey(current), k -> new ArrayDeque<>());
        int ran = i + 1;
        RoutedMessage at = current;
        f.onComplete(ar -> onContext(() -> resume(mws, ran, at, ar, done)));
        return false;
      }
      if (f.failed()) {
        finish(mws, i + 1, current, rejection(f.cause()), done);
        return true;
      }
      current = replaced(current, f.result());
    }
    invokeHandler(mws, current, done);
    return true;
  }

  private void resume(RouterMiddleware[] mws, int next, RoutedMessage at, AsyncResult<JsonObject> ar,
      Completion done) {
    boolean sync;
    if (ar.failed()) {
      finish(mws, next, at, rejection(ar.cause()), done);
      sync = true;
    } else {
      sync = runFrom(mws, next, replaced(at, ar.result()), done);
    }
    if (sync) {
      drain(laneKey(at));
    }
  }

  /** Runs the messages held back for a connection, in order, until one goes async again. */
  private void drain(String lane) {
    ArrayDeque<Pending> q = heldBack.get(lane);
    while (q != null && !q.isEmpty()) {
      Pending p = q.poll();
      if (!runFrom(chain, 0, p.message(), p.done())) {
        return;
      }
    }
    heldBack.remove(lane);
  }

  private static Future<JsonObject> before(RouterMiddleware mw, RoutedMessage m) {
    try {
      Future<JsonObject> f = mw.beforeProcess(m);
      return f == null ? RouterMiddleware.proceed() : f;
    } catch (Throwable t) {
      return Future.failedFuture(t);
    }
  }

  private static RoutedMessage replaced(RoutedMessage m, JsonObject envelope) {
    return envelope == null || envelope == m.envelope() ? m : m.withEnvelope(envelope);
  }

  private void invokeHandler(RouterMiddleware[] mws, RoutedMessage m, Completion done) {
    MessageHandler h = handlerFor(m.type());
    if (h == null) {
      finish(mws, mws.length, m, HandlerResult.rejected(unknownType(m)), done);
      return;
    }
    Future<HandlerResult> f;
    try {
      f = h.handle(m);
    } catch (Throwable t) {
      f = Future.failedFuture(t);
    }
    if (f == null) {
      f = Future.failedFuture(new IllegalStateException("handler returned no future"));
    }
    if (f.isComplete()) {
      finish(mws, mws.length, m, outcome(f), done);
    } else {
      f.onComplete(ar -> onContext(() -> finish(mws, mws.length, m, outcome(ar), done)));
    }
  }

  private static ProtocolException unknownType(RoutedMessage m) {
    String type = m.type();
    if (type == null) {
      return new ProtocolException(ErrorCode.VALIDATION_FAILED, "type: required string");
    }
    if (MessageType.HELLO.wire().equals(type)) {
      return new ProtocolException(ErrorCode.UNKNOWN_TYPE,
          "type: 'hello' is answered by the gateway at connection start, not routed", type, null);
    }
    return new ProtocolException(ErrorCode.UNKNOWN_TYPE, "type: unknown message type '" + type + "'",
        type, null);
  }

  private static HandlerResult outcome(AsyncResult<HandlerResult> ar) {
    if (ar.failed()) {
      return rejection(ar.cause());
    }
    HandlerResult r = ar.result();
    if (r == null) {
      return HandlerResult.rejected(ErrorCode.INTERNAL, "internal error: handler returned no result");
    }
    if (!r.success() && r.error() == null) {
      return new HandlerResult(false, r.data(),
          new ProtocolException(ErrorCode.INTERNAL, "internal error: handler rejected without a reason"),
          r.shouldRetry(), r.retryAfter());
    }
    return r;
  }

  private static HandlerResult rejection(Throwable t) {
    if (!(t instanceof ProtocolException)) {
      LOG.warn("Unexpected failure while routing a message", t);
    }
    return HandlerResult.rejected(Frames.toProtocolException(t));
  }

  private static void finish(RouterMiddleware[] mws, int ran, RoutedMessage m, HandlerResult r,
      Completion done) {
    for (int i = ran - 1; i >= 0; i--) {
      try {
        mws[i].afterProcess(m, r);
      } catch (Throwable t) {
        LOG.warn("Middleware {} failed in afterProcess", mws[i].getClass().getName(), t);
      }
    }
    try {
      done.complete(m, r);
    } catch (Throwable t) {
      // never let a completion failure stall the connection's held-back messages
      LOG.error("Completion of a routed {} message failed", m.type(), t);
    }
  }

  /** The connection closed: every middleware drops its state for it. */
  public void connectionClosed(String connectionId) {
    for (RouterMiddleware mw : chain) {
      try {
        mw.connectionClosed(connectionId);
      } catch (Throwable t) {
        LOG.warn("Middleware {} failed in connectionClosed", mw.getClass().getName(), t);
      }
    }
  }
}
