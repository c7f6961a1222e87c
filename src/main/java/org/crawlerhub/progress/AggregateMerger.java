package org.crawlerhub.progress;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Merges the partial summaries that every progress partition publishes on
 * {@code hub.progress.partial} into the fleet {@code AggregateProgress}.
 *
 * <p>Every node's partitions consume the cluster-wide published crawler messages and job events,
 * so one node's full set of partitions already covers the whole fleet; adding the sets of two
 * nodes would count every job twice. The merge therefore picks ONE node's partitions (the one
 * with most live partitions, this node on a tie, then the lowest node id) and sums them. A node
 * without progress partitions still gets a complete aggregate from another node's partials.
 * Partitions silent for longer than the TTL (or announced stopped, or of a node the cluster
 * reports gone) leave the merge.
 */
final class AggregateMerger {
  private record Entry(JsonObject partial, long receivedNanos) {}

  private final Map<String, Map<Integer, Entry>> byNode = new TreeMap<>();
  private final long ttlNanos;

  AggregateMerger(long ttlNanos) {
    this.ttlNanos = ttlNanos;
  }

  void accept(JsonObject partial, long nowNanos) {
    String node = partial.getString("nodeId", "");
    Integer p = partial.getInteger("partition");
    if (p == null) {
      return;
    }
    if (partial.getBoolean("stopped", false)) {
      Map<Integer, Entry> m = byNode.get(node);
      if (m != null) {
        m.remove(p);
      }
      return;
    }
    byNode.computeIfAbsent(node, k -> new HashMap<>()).put(p, new Entry(partial, nowNanos));
  }

  /** A node left the cluster: its partitions' summaries are no longer current. */
  void nodeLeft(String nodeId) {
    byNode.remove(nodeId);
  }

  void expire(long nowNanos) {
    byNode.values().forEach(m -> m.values().removeIf(e -> nowNanos - e.receivedNanos > ttlNanos));
    byNode.values().removeIf(Map::isEmpty);
  }

  /** The node whose partition 0 publishes the aggregate: the lowest node id with a live partition 0. */
  String aggregatePublisher() {
    for (Map.Entry<String, Map<Integer, Entry>> e : byNode.entrySet()) {
      if (e.getValue().containsKey(0)) {
        return e.getKey();
      }
    }
    return null;
  }

  private List<JsonObject> chosenView(String localNode) {
    String best = null;
    int bestSize = -1;
    for (Map.Entry<String, Map<Integer, Entry>> e : byNode.entrySet()) {
      int size = e.getValue().size();
      if (size > bestSize || (size == bestSize && e.getKey().equals(localNode))) {
        best = e.getKey();
        bestSize = size;
      }
    }
    List<JsonObject> out = new ArrayList<>();
    if (best != null) {
      byNode.get(best).values().forEach(en -> out.add(en.partial));
    }
    return out;
  }

  /** AggregateProgress (SPEC §3.1) without updatedAt and connectedCrawlers (the caller adds them). */
  JsonObject aggregate(String localNode) {
    long[] counts = new long[JobStatuses.ALL.length];
    double activeCompletion = 0;
    double throughput = 0;
    long remaining = 0;
    List<JsonObject> view = chosenView(localNode);
    for (JsonObject p : view) {
      JsonObject c = p.getJsonObject("counts", new JsonObject());
      for (int i = 0; i < counts.length; i++) {
        counts[i] += c.getLong(JobStatuses.ALL[i], 0L);
      }
      activeCompletion += p.getDouble("activeCompletion", 0.0);
      throughput += p.getDouble("throughput", 0.0);
      remaining += p.getLong("remainingItems", 0L);
    }
    long total = 0;
    for (long c : counts) {
      total += c;
    }
    long queued = counts[0];
    long active = counts[1] + counts[2];
    long completed = counts[3];
    long failed = counts[4];
    long cancelled = counts[5];
    long dead = counts[6];
    long considered = total - cancelled;
    double overall = considered > 0
        ? Math.max(0, Math.min(1, (completed + dead + activeCompletion) / considered)) : 0.0;
    JsonObject a = new JsonObject()
        .put("totalJobs", total)
        .put("queuedJobs", queued)
        .put("activeJobs", active)
        .put("assignedJobs", counts[1])
        .put("runningJobs", counts[2])
        .put("completedJobs", completed)
        .put("failedJobs", failed)
        .put("cancelledJobs", cancelled)
        .put("deadJobs", dead)
        .put("overallCompletion", overall)
        .put("combinedThroughput", throughput)
        .put("partitions", view.size());
    if (throughput > 0 && remaining >= 0) {
      a.put("estimatedTimeRemaining", Math.round(remaining / throughput * 1000.0));
    }
    return a;
  }

  /** {crawlerId: {activeJobs, rate, processed}} summed over the chosen view's partitions. */
  JsonObject crawlerJobs(String localNode) {
    JsonObject out = new JsonObject();
    for (JsonObject p : chosenView(localNode)) {
      JsonObject cs = p.getJsonObject("crawlers", new JsonObject());
      for (String id : cs.fieldNames()) {
        JsonObject c = cs.getJsonObject(id);
        JsonObject acc = out.getJsonObject(id);
        if (acc == null) {
          out.put(id, c.copy());
        } else {
          acc.put("activeJobs", acc.getLong("activeJobs", 0L) + c.getLong("activeJobs", 0L))
              .put("rate", acc.getDouble("rate", 0.0) + c.getDouble("rate", 0.0))
              .put("processed", acc.getLong("processed", 0L) + c.getLong("processed", 0L));
        }
      }
    }
    return out;
  }
}
