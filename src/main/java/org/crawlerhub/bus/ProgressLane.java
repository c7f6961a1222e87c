package org.crawlerhub.bus;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import org.crawlerhub.protocol.JobReportBatch;

/**
 * A progress aggregator partition's intake of this node's job reports, callable by a router
 * partition on its own thread (ARCHITECTURE, "Message flow" 2, job reports): the batch is applied
 * right there when the aggregator is idle and nothing is queued for it, else queued on the
 * aggregator's own context as the {@code hub.crawler.job-reports.local} publish would be. So a
 * report reaches its {@code hub.progress.job.<id>} publish without waking another thread, and under
 * load the aggregator still works on its own thread.
 *
 * <p>Node-local: each partition lists itself in the shared-data map {@link #MAP} under its
 * partition number while it runs. A router uses the lanes only when every partition of the node is
 * listed, and otherwise publishes on {@code hub.crawler.job-reports.local} (every partition
 * consumes it, before and after its lane is listed).
 */
public interface ProgressLane extends Shareable {
  /** Node-local shared-data map: partition number -> the partition's lane. */
  String MAP = "hub.progress.lanes";

  /**
   * Hands one batch to the partition, from any thread: applied before this returns, or queued
   * behind what is queued already (a caller's batches are applied in the order it offered them).
   * False when the partition has stopped: the caller publishes instead.
   */
  boolean offer(JobReportBatch batch);

  /** The node's lane map. */
  static LocalMap<Integer, ProgressLane> map(Vertx vertx) {
    return vertx.sharedData().getLocalMap(MAP);
  }

  /**
   * Offers {@code batch} to all {@code partitions} lanes of the node; false (and offered to none)
   * when one is not listed or has stopped before the first was offered, so the caller publishes.
   */
  static boolean offerAll(LocalMap<Integer, ProgressLane> lanes, int partitions, JobReportBatch batch) {
    if (partitions == 1) {
      ProgressLane only = lanes.get(0);
      return only != null && only.offer(batch);
    }
    ProgressLane[] all = new ProgressLane[partitions];
    for (int p = 0; p < partitions; p++) {
      all[p] = lanes.get(p);
      if (all[p] == null) {
        return false;
      }
    }
    if (!all[0].offer(batch)) {
      return false;
    }
    for (int p = 1; p < partitions; p++) {
      all[p].offer(batch); // a partition stopping now loses this batch as its consumer would
    }
    return true;
  }
}
