package org.crawlerhub.router;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.Map;
import org.crawlerhub.metrics.HubMetrics;
import org.crawlerhub.protocol.ErrorCode;

/**
 * {@link HubMetrics#ROUTER_MESSAGES} counters {type, outcome=accepted|<ERROR_CODE>}, registered once
 * and cached so counting a message is an array index, not a meter lookup. One instance per router
 * verticle (event-loop confined); the type tags are bounded by the caller.
 */
final class OutcomeCounters {
  static final String ACCEPTED = "accepted";
  private static final ErrorCode[] CODES = ErrorCode.values();

  private final MeterRegistry registry;
  private final Map<String, Counter[]> byType = new HashMap<>();

  OutcomeCounters(MeterRegistry registry) {
    this.registry = registry;
  }

  void accepted(String typeTag) {
    counter(typeTag, 0).increment();
  }

  void rejected(String typeTag, ErrorCode code) {
    counter(typeTag, code.ordinal() + 1).increment();
  }

  private Counter counter(String typeTag, int slot) {
    Counter[] slots = byType.get(typeTag);
    if (slots == null) {
      slots = new Counter[CODES.length + 1];
      byType.put(typeTag, slots);
    }
    Counter c = slots[slot];
    if (c == null) {
      c = Counter.builder(HubMetrics.ROUTER_MESSAGES)
          .description("crawler->hub messages by type and outcome")
          .tag("type", typeTag)
          .tag("outcome", slot == 0 ? ACCEPTED : CODES[slot - 1].name())
          .register(registry);
      slots[slot] = c;
    }
    return c;
  }
}
