package org.crawlerhub.sim;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/** Counters shared by the simulator's event loops (updated by many, read by the reporter). */
public final class SimStats {
  final LongAdder sent = new LongAdder();
  final LongAdder received = new LongAdder();
  final LongAdder bytesSent = new LongAdder();
  final AtomicInteger connected = new AtomicInteger();
  final AtomicInteger peakConnected = new AtomicInteger();
  final LongAdder everConnected = new LongAdder();
  final LongAdder jobsStarted = new LongAdder();
  final LongAdder jobsCompleted = new LongAdder();
  final LongAdder jobsFailed = new LongAdder();
  final LongAdder jobsReleased = new LongAdder();
  final LongAdder crashes = new LongAdder();
  final LongAdder jobsAbandoned = new LongAdder();
  final LongAdder reconnects = new LongAdder();
  final LongAdder emptyResponses = new LongAdder();
  final LongAdder crawlersDone = new LongAdder();
  private final Map<String, LongAdder> sentByType = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> receivedByType = new ConcurrentHashMap<>();
  private final Map<String, LongAdder> errorsByCode = new ConcurrentHashMap<>();

  void sent(String type, int bytes) {
    sent.increment();
    bytesSent.add(bytes);
    sentByType.computeIfAbsent(type, k -> new LongAdder()).increment();
  }

  void connected() {
    everConnected.increment();
    peakConnected.accumulateAndGet(connected.incrementAndGet(), Math::max);
  }

  void disconnected() {
    connected.decrementAndGet();
  }

  void received(String type) {
    received.increment();
    receivedByType.computeIfAbsent(type, k -> new LongAdder()).increment();
  }

  /** An {@code error} frame's code, or a local failure ({@code local:connect_failed}, ...). */
  void error(String code) {
    errorsByCode.computeIfAbsent(code, k -> new LongAdder()).increment();
  }

  long errors() {
    return errorsByCode.values().stream().mapToLong(LongAdder::sum).sum();
  }

  static Map<String, Long> snapshot(Map<String, LongAdder> m) {
    Map<String, Long> out = new TreeMap<>();
    m.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  Map<String, Long> sentByType() {
    return snapshot(sentByType);
  }

  Map<String, Long> receivedByType() {
    return snapshot(receivedByType);
  }

  Map<String, Long> errorsByCode() {
    return snapshot(errorsByCode);
  }
}
