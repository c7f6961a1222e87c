package org.crawlerhub.progress;

import io.vertx.core.json.JsonObject;

/**
 * Job lifecycle statuses (SPEC §2.1) as the aggregator counts them. Which of two transitions is
 * the later one is {@link org.crawlerhub.protocol.JobStatusOrder}'s to say.
 */
final class JobStatuses {
  static final String[] ALL = {"queued", "assigned", "running", "completed", "failed", "cancelled", "dead"};

  private JobStatuses() {}

  static int index(String status) {
    if (status == null) {
      return -1;
    }
    switch (status) {
      case "queued": return 0;
      case "assigned": return 1;
      case "running": return 2;
      case "completed": return 3;
      case "failed": return 4;
      case "cancelled": return 5;
      case "dead": return 6;
      default: return -1;
    }
  }

  /** The attempt is over and will not change again without a new attempt. */
  static boolean finished(String status) {
    int i = index(status);
    return i == 3 || i == 5 || i == 6;
  }

  static boolean active(String status) {
    int i = index(status);
    return i == 1 || i == 2;
  }

  /** Per-status counters; a partition's counts are deltas that only sum up across partitions. */
  static final class Counts {
    private final long[] counts = new long[ALL.length];

    void add(String status, long delta) {
      int i = index(status);
      if (i >= 0) {
        counts[i] += delta;
      }
    }

    JsonObject toJson() {
      JsonObject j = new JsonObject();
      for (int i = 0; i < ALL.length; i++) {
        j.put(ALL[i], counts[i]);
      }
      return j;
    }
  }
}
