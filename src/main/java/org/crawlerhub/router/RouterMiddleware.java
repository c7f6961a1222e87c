package org.crawlerhub.router;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * A step around every routed message. {@link #beforeProcess} runs before the handler, highest
 * {@link #priority()} first; {@link #afterProcess} runs after the outcome is known, in reverse
 * order, on every middleware whose {@code beforeProcess} was called (also when a later step
 * rejected the message).
 *
 * <p>Return {@link #proceed()} (or a future of {@code null} or of the same envelope) to pass the
 * message on unchanged, a future of another envelope to replace it for the rest of the chain and
 * the handler, or a future failed with a {@link org.crawlerhub.protocol.ProtocolException} to
 * reject it with that code. Keep the happy path synchronous and cheap: return an already
 * completed future. An incomplete future is allowed; the router then holds back later messages
 * of the same connection so per-connection order is kept.
 *
 * <p>A router instance calls its middleware from one event loop only.
 */
public interface RouterMiddleware {

  /** Built-in priorities: logging sees everything first, then rate limiting, then validation. */
  int LOGGING_PRIORITY = 1000;
  int RATE_LIMIT_PRIORITY = 900;
  int VALIDATION_PRIORITY = 800;

  /** Higher runs earlier. Custom middleware below {@link #VALIDATION_PRIORITY} sees valid messages. */
  int priority();

  Future<JsonObject> beforeProcess(RoutedMessage ctx);

  default void afterProcess(RoutedMessage ctx, HandlerResult result) {}

  /** The connection closed: drop any state kept for it. */
  default void connectionClosed(String connectionId) {}

  /** The shared "continue unchanged" result (allocation-free). */
  static Future<JsonObject> proceed() {
    return Chain.PROCEED;
  }

  /** Holder for the shared constant (interfaces cannot have private static fields). */
  final class Chain {
    private Chain() {}

    static final Future<JsonObject> PROCEED = Future.succeededFuture();
  }
}
