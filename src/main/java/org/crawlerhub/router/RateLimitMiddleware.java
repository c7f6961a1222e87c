package org.crawlerhub.router;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.ProtocolException;

/**
 * Per-connection token bucket (SPEC §1.5 {@code rateLimit.messagesPerSecond}): each connection
 * may send {@code messagesPerSecond} messages per second with bursts of up to one second's worth;
 * beyond that a message is rejected with {@code RATE_LIMITED}. A bucket is dropped when its
 * connection closes; memory stays bounded by an LRU cap and an idle sweep (an idle bucket has
 * refilled completely, so forgetting it changes nothing). Used from one event loop only.
 */
public final class RateLimitMiddleware implements RouterMiddleware {
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final double capacity;
  private final double tokensPerNano;
  private final long refillNanos;
  private final LongSupplier clock;
  private final ProtocolException limited;
  private final Map<String, Bucket> buckets;

  private static final class Bucket {
    double tokens;
    long last;

    Bucket(double tokens, long last) {
      this.tokens = tokens;
      this.last = last;
    }
  }

  public RateLimitMiddleware(int messagesPerSecond, int maxConnections) {
    this(messagesPerSecond, maxConnections, System::nanoTime);
  }

  RateLimitMiddleware(int messagesPerSecond, int maxConnections, LongSupplier clock) {
    if (messagesPerSecond <= 0) {
      throw new IllegalArgumentException("messagesPerSecond must be > 0");
    }
    this.capacity = messagesPerSecond;
    this.tokensPerNano = messagesPerSecond / (double) NANOS_PER_SECOND;
    this.refillNanos = NANOS_PER_SECOND;
    this.clock = clock;
    this.limited = new ProtocolException(ErrorCode.RATE_LIMITED,
        "rate limit of " + messagesPerSecond + " messages per second exceeded");
    int cap = Math.max(1024, maxConnections * 2);
    this.buckets = new LinkedHashMap<>(256, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Bucket> eldest) {
        return size() > cap;
      }
    };
  }

  @Override
  public int priority() {
    return RATE_LIMIT_PRIORITY;
  }

  @Override
  public Future<JsonObject> beforeProcess(RoutedMessage ctx) {
    String key = ctx.connectionId() == null ? "" : ctx.connectionId();
    return tryAcquire(key) ? RouterMiddleware.proceed() : Future.failedFuture(limited);
  }

  /** Takes one token from the connection's bucket; false when it is empty. */
  boolean tryAcquire(String connectionId) {
    long now = clock.getAsLong();
    Bucket b = buckets.get(connectionId);
    if (b == null) {
      buckets.put(connectionId, new Bucket(capacity - 1, now));
      return true;
    }
    b.tokens = Math.min(capacity, b.tokens + (now - b.last) * tokensPerNano);
    b.last = now;
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return true;
    }
    return false;
  }

  @Override
  public void connectionClosed(String connectionId) {
    buckets.remove(connectionId);
  }

  /** Forgets buckets idle long enough to be full again (least recently used first). */
  public void sweepIdle() {
    long now = clock.getAsLong();
    Iterator<Bucket> it = buckets.values().iterator();
    while (it.hasNext()) {
      if (now - it.next().last < refillNanos) {
        return;
      }
      it.remove();
    }
  }

  /** Connections currently tracked. */
  int trackedConnections() {
    return buckets.size();
  }
}
