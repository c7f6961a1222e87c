package org.crawlerhub.router;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Debug log of every routed message and its outcome. Costs one {@code isDebugEnabled()} check
 * when debug is off. Secrets never reach the log: {@link #masked} replaces token-like members.
 */
public final class LoggingMiddleware implements RouterMiddleware {
  private static final Logger LOG = LoggerFactory.getLogger(LoggingMiddleware.class);
  static final String MASK = "****";
  /** Member names (lower case, without '_' and '-') whose values are secrets. */
  private static final Set<String> SECRET_KEYS = Set.of("token", "accesstoken", "refreshtoken",
      "password", "secret", "authorization", "apikey", "currenttoken");

  private final Logger log;

  public LoggingMiddleware() {
    this(LOG);
  }

  LoggingMiddleware(Logger log) {
    this.log = log;
  }

  @Override
  public int priority() {
    return LOGGING_PRIORITY;
  }

  @Override
  public Future<JsonObject> beforeProcess(RoutedMessage ctx) {
    if (log.isDebugEnabled()) {
      log.debug("in {} crawler={} connection={} job={}: {}", ctx.type(), ctx.crawlerId(),
          ctx.connectionId(), ctx.jobId(), masked(ctx.envelope()));
    }
    return RouterMiddleware.proceed();
  }

  @Override
  public void afterProcess(RoutedMessage ctx, HandlerResult result) {
    if (log.isDebugEnabled()) {
      long micros = (System.nanoTime() - ctx.receivedAt()) / 1000;
      JsonArray frames = result.frames();
      if (result.success()) {
        log.debug("accepted {} crawler={} job={} in {}us, frames: {}", ctx.type(), ctx.crawlerId(),
            ctx.jobId(), micros, frames == null ? "[]" : masked(frames));
      } else {
        log.debug("rejected {} crawler={} job={} in {}us: {} {}", ctx.type(), ctx.crawlerId(),
            ctx.jobId(), micros, result.error().code(), result.error().getMessage());
      }
    }
  }

  /** True for a member name that holds a secret ({@code token}, {@code accessToken}, {@code access_token}, ...). */
  static boolean isSecret(String key) {
    StringBuilder b = new StringBuilder(key.length());
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c != '_' && c != '-') {
        b.append(c);
      }
    }
    return SECRET_KEYS.contains(b.toString().toLowerCase(Locale.ROOT));
  }

  /** A deep copy of {@code o} with every secret member's value replaced by {@value #MASK}. */
  public static JsonObject masked(JsonObject o) {
    JsonObject copy = new JsonObject();
    for (Map.Entry<String, Object> e : o) {
      Object v = e.getValue();
      copy.put(e.getKey(), v != null && isSecret(e.getKey()) ? MASK : maskedValue(v));
    }
    return copy;
  }

  /** A deep copy of {@code a} with secrets masked in every object it contains. */
  public static JsonArray masked(JsonArray a) {
    JsonArray copy = new JsonArray();
    for (Object v : a) {
      copy.add(maskedValue(v));
    }
    return copy;
  }

  private static Object maskedValue(Object v) {
    if (v instanceof JsonObject jo) {
      return masked(jo);
    }
    if (v instanceof JsonArray ja) {
      return masked(ja);
    }
    return v;
  }
}
