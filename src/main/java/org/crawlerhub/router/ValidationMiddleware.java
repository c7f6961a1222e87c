package org.crawlerhub.router;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.MessageType;
import org.crawlerhub.protocol.MessageValidator;
import org.crawlerhub.protocol.ProtocolException;

/**
 * Envelope and schema checks (SPEC §1.5) via {@link MessageValidator#validateInbound}: the first
 * failing check decides the code (MISSING_JOB_ID, VALIDATION_FAILED, ...). A type the protocol
 * does not know is left to the handler lookup (UNKNOWN_TYPE unless an application registered a
 * handler for it); a hub->crawler type sent inbound is UNKNOWN_TYPE here.
 */
public final class ValidationMiddleware implements RouterMiddleware {

  @Override
  public int priority() {
    return VALIDATION_PRIORITY;
  }

  @Override
  public Future<JsonObject> beforeProcess(RoutedMessage ctx) {
    JsonObject env = ctx.envelope();
    String type = ctx.type();
    if (type == null) {
      return Future.failedFuture(new ProtocolException(ErrorCode.VALIDATION_FAILED,
          env.containsKey("type") ? "type: must be a string" : "type: required string"));
    }
    MessageType t = MessageType.fromWire(type);
    if (t == null) {
      return proceed();
    }
    if (!t.inbound()) {
      return Future.failedFuture(new ProtocolException(ErrorCode.UNKNOWN_TYPE,
          "type: '" + type + "' is a hub->crawler message type", type, ctx.jobId()));
    }
    try {
      MessageValidator.validateInbound(env);
    } catch (ProtocolException e) {
      return Future.failedFuture(e);
    }
    return proceed();
  }

  private static Future<JsonObject> proceed() {
    return RouterMiddleware.proceed();
  }
}
