package org.crawlerhub.router;

import io.vertx.core.Future;

/**
 * Handles one message type. Called on the router's event loop, once per message, in the order
 * messages arrived on their connection. A handler that talks to another service must issue that
 * request synchronously inside {@code handle} (before returning) so downstream order is kept; the
 * returned future may complete later. Reject by returning {@link HandlerResult#rejected} or a
 * future failed with a {@link org.crawlerhub.protocol.ProtocolException}; any other failure or
 * thrown exception becomes an {@code INTERNAL} error. Never block.
 */
@FunctionalInterface
public interface MessageHandler {
  Future<HandlerResult> handle(RoutedMessage ctx);
}
