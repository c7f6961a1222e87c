package org.crawlerhub.persistence;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.metrics.HubMetrics;

/** Rows per persistence batch and batch latency ({@link HubMetrics#PERSISTENCE_BATCH_SIZE}, {@code _LATENCY}), by kind. */
public final class BatchMetrics {
  private BatchMetrics() {}

  public static void record(String kind, int rows, long nanos) {
    var registry = HubMetrics.registry();
    DistributionSummary.builder(HubMetrics.PERSISTENCE_BATCH_SIZE).tag("kind", kind).register(registry).record(rows);
    Timer.builder(HubMetrics.PERSISTENCE_BATCH_LATENCY).tag("kind", kind).register(registry)
        .record(nanos, TimeUnit.NANOSECONDS);
  }
}
