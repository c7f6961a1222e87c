package org.crawlerhub.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.crawlerhub.metrics.HubMetrics;
import org.crawlerhub.protocol.MessageType;

/**
 * The gateway's meters, looked up once per verticle instance so the hot path only increments
 * (no meter-id allocation per message). One instance per gateway verticle: confined to its event
 * loop, so the lazily filled maps need no locking.
 */
final class GatewayMeters {
  static final String OUTCOME_ACCEPTED = "accepted";
  static final String UNKNOWN_TYPE = "unknown";

  /** Open connections per transport, JVM-wide (a gauge must keep one stable state object). */
  private static final AtomicInteger UNIX_OPEN = new AtomicInteger();
  private static final AtomicInteger TCP_OPEN = new AtomicInteger();

  private final MeterRegistry registry;
  private final Counter[] acceptedIn = new Counter[MessageType.values().length];
  private final Counter[] out = new Counter[MessageType.values().length];
  private final Map<String, Counter> otherIn = new HashMap<>();
  private final Map<String, Counter> opened = new HashMap<>();

  GatewayMeters(MeterRegistry registry) {
    this.registry = registry;
    synchronized (GatewayMeters.class) { // instances start concurrently on several event loops
      for (Transport t : Transport.values()) {
        if (registry.find(HubMetrics.CONNECTIONS).tag("transport", t.wire()).gauge() == null) {
          Gauge.builder(HubMetrics.CONNECTIONS, openGauge(t), AtomicInteger::get)
              .tag("transport", t.wire()).register(registry);
        }
      }
    }
  }

  static AtomicInteger openGauge(Transport t) {
    return t == Transport.UNIX ? UNIX_OPEN : TCP_OPEN;
  }

  void messageIn(MessageType type, String outcome) {
    if (type != null && OUTCOME_ACCEPTED.equals(outcome)) {
      Counter c = acceptedIn[type.ordinal()];
      if (c == null) {
        c = acceptedIn[type.ordinal()] = inCounter(type.wire(), OUTCOME_ACCEPTED);
      }
      c.increment();
      return;
    }
    String typeTag = type == null ? UNKNOWN_TYPE : type.wire();
    otherIn.computeIfAbsent(typeTag + '|' + outcome, k -> inCounter(typeTag, outcome)).increment();
  }

  void messageOut(MessageType type) {
    if (type == null) {
      return;
    }
    Counter c = out[type.ordinal()];
    if (c == null) {
      c = out[type.ordinal()] = Counter.builder(HubMetrics.MESSAGES_OUT).tag("type", type.wire())
          .register(registry);
    }
    c.increment();
  }

  void connectionOpened(Transport transport, String outcome) {
    opened.computeIfAbsent(transport.wire() + '|' + outcome, k -> Counter
        .builder(HubMetrics.CONNECTIONS_OPENED)
        .tag("transport", transport.wire()).tag("outcome", outcome).register(registry)).increment();
  }

  private Counter inCounter(String type, String outcome) {
    return Counter.builder(HubMetrics.MESSAGES_IN).tag("type", type).tag("outcome", outcome)
        .register(registry);
  }
}
