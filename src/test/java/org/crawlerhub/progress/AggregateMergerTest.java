package org.crawlerhub.progress;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class AggregateMergerTest {
  private static final long TTL = TimeUnit.SECONDS.toNanos(5);

  private static JsonObject partial(String node, int p, int partitions, long queued, double throughput) {
    return new JsonObject().put("nodeId", node).put("partition", p).put("partitions", partitions)
        .put("counts", new JsonObject().put("queued", queued).put("running", 1L))
        .put("activeCompletion", 0.5).put("throughput", throughput).put("remainingItems", 100L)
        .put("crawlers", new JsonObject().put("c1", new JsonObject().put("activeJobs", 1L).put("rate", throughput)
            .put("processed", 10L)));
  }

  @Test
  @DisplayName("two nodes that both see the whole fleet are not counted twice")
  void nodesAreNotDoubleCounted() {
    // GIVEN two nodes whose two partitions each cover the whole fleet
    AggregateMerger m = new AggregateMerger(TTL);
    for (String node : new String[] {"node-a", "node-b"}) {
      m.accept(partial(node, 0, 2, 3, 10.0), 0);
      m.accept(partial(node, 1, 2, 2, 5.0), 0);
    }
    // WHEN merged THEN one node's partitions are summed
    JsonObject a = m.aggregate("node-b");
    assertThat(a.getLong("queuedJobs")).isEqualTo(5L);
    assertThat(a.getLong("activeJobs")).isEqualTo(2L);
    assertThat(a.getDouble("combinedThroughput")).isEqualTo(15.0);
    assertThat(a.getLong("estimatedTimeRemaining")).isEqualTo(Math.round(200 / 15.0 * 1000));
    assertThat(a.getInteger("partitions")).isEqualTo(2);
    assertThat(m.crawlerJobs("node-a").getJsonObject("c1").getLong("activeJobs")).isEqualTo(2L);
    // AND the lowest node id with a live partition 0 publishes the aggregate
    assertThat(m.aggregatePublisher()).isEqualTo("node-a");
  }

  @Test
  @DisplayName("partitions that stop or fall silent leave the merge, and the fuller view wins")
  void silentPartitionsExpire() {
    // GIVEN node-a with two live partitions and node-b whose partition 1 fell silent
    AggregateMerger m = new AggregateMerger(TTL);
    m.accept(partial("node-b", 1, 2, 7, 1.0), 0);
    long later = TimeUnit.SECONDS.toNanos(6);
    m.accept(partial("node-a", 0, 2, 3, 1.0), later);
    m.accept(partial("node-a", 1, 2, 2, 1.0), later);
    m.accept(partial("node-b", 0, 2, 4, 1.0), later);
    // WHEN expired THEN node-b is incomplete and node-a's complete view is used even from node-b
    m.expire(later);
    assertThat(m.aggregate("node-b").getLong("queuedJobs")).isEqualTo(5L);
    // WHEN node-a's partition 0 announces it stopped THEN node-a no longer publishes
    m.accept(new JsonObject().put("nodeId", "node-a").put("partition", 0).put("stopped", true), later);
    assertThat(m.aggregatePublisher()).isEqualTo("node-b");
  }

  @Test
  @DisplayName("a node the cluster reports gone leaves the merge at once, even with the fuller view")
  void nodeThatLeftLeavesTheMerge() {
    // GIVEN node-b with two partitions (the fuller view) and node-a with one
    AggregateMerger m = new AggregateMerger(TTL);
    m.accept(partial("node-b", 0, 2, 7, 1.0), 0);
    m.accept(partial("node-b", 1, 2, 1, 1.0), 0);
    m.accept(partial("node-a", 0, 1, 3, 1.0), 0);
    assertThat(m.aggregate("node-a").getLong("queuedJobs")).isEqualTo(8L);

    // WHEN node-b leaves the cluster, well within the TTL
    m.nodeLeft("node-b");

    // THEN node-a's own view is used and node-a publishes
    assertThat(m.aggregate("node-a").getLong("queuedJobs")).isEqualTo(3L);
    assertThat(m.aggregatePublisher()).isEqualTo("node-a");
  }
}
