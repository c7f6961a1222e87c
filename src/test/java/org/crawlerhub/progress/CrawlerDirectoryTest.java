package org.crawlerhub.progress;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class CrawlerDirectoryTest {
  private static final long STALE = TimeUnit.SECONDS.toNanos(60);
  private static final long FORGET = TimeUnit.MINUTES.toNanos(10);

  private static JsonObject event(String name, String connectionId, String crawlerId) {
    return new JsonObject().put("event", name).put("connectionId", connectionId).put("crawlerId", crawlerId)
        .put("nodeId", "node-a");
  }

  private static boolean connected(CrawlerDirectory d, String crawlerId) {
    JsonArray all = d.toJson(new JsonObject());
    for (Object o : all) {
      JsonObject c = (JsonObject) o;
      if (crawlerId.equals(c.getString("crawlerId"))) {
        return c.getBoolean("connected");
      }
    }
    return false;
  }

  @Test
  @DisplayName("a crawler with two connections counts once and stays connected until both are gone")
  void crawlerWithTwoConnectionsCountsOnce() {
    // GIVEN crawler c1 on two connections and c2 on one
    CrawlerDirectory d = new CrawlerDirectory(STALE, FORGET);
    d.onEvent(event("connected", "conn-1", "c1"), 0);
    d.onEvent(event("connected", "conn-2", "c1"), 0);
    d.onEvent(event("connected", "conn-3", "c2"), 0);
    assertThat(d.connectedCrawlers()).isEqualTo(2);

    // WHEN one of c1's connections closes THEN c1 is still connected
    d.onEvent(event("disconnected", "conn-1", "c1"), 1);
    assertThat(d.connectedCrawlers()).isEqualTo(2);
    assertThat(connected(d, "c1")).isTrue();

    // WHEN the other closes too (and a duplicate disconnect arrives) THEN only c2 is left
    d.onEvent(event("disconnected", "conn-2", "c1"), 2);
    d.onEvent(event("disconnected", "conn-2", "c1"), 3);
    assertThat(d.connectedCrawlers()).isEqualTo(1);
    assertThat(connected(d, "c1")).isFalse();
    assertThat(connected(d, "c2")).isTrue();
  }

  @Test
  @DisplayName("a connection that says hello under a new crawlerId moves to that crawler")
  void connectionChangesCrawler() {
    // GIVEN a Unix connection known by its connection id
    CrawlerDirectory d = new CrawlerDirectory(STALE, FORGET);
    d.onEvent(event("connected", "conn-1", "conn-1"), 0);
    assertThat(d.connectedCrawlers()).isEqualTo(1);

    // WHEN it authenticates as crawler c1
    d.onEvent(event("authenticated", "conn-1", "c1"), 1);

    // THEN one crawler is connected, c1, not the connection id
    assertThat(d.connectedCrawlers()).isEqualTo(1);
    assertThat(connected(d, "c1")).isTrue();
    assertThat(connected(d, "conn-1")).isFalse();
  }

  @Test
  @DisplayName("connections silent for longer than the stale time stop counting")
  void staleConnectionsExpire() {
    // GIVEN two crawlers, one of which keeps sending
    CrawlerDirectory d = new CrawlerDirectory(STALE, FORGET);
    d.onEvent(event("connected", "conn-1", "c1"), 0);
    d.onEvent(event("connected", "conn-2", "c2"), 0);
    d.touch("conn-2", "c2", "node-a", STALE);

    // WHEN the directory expires past c1's stale time
    d.expire(STALE + 1);

    // THEN only c2 counts
    assertThat(d.connectedCrawlers()).isEqualTo(1);
    assertThat(connected(d, "c2")).isTrue();
  }

  @Test
  @DisplayName("when a node leaves the cluster its connections stop counting at once; a crawler also connected elsewhere stays")
  void connectionsOfANodeThatLeft() {
    // GIVEN c1 on node-a, c2 on node-b, and c3 on both (it moved and its old connection was never closed)
    CrawlerDirectory d = new CrawlerDirectory(STALE, FORGET);
    d.onEvent(event("connected", "conn-1", "c1"), 0);
    d.onEvent(event("connected", "conn-2", "c2").put("nodeId", "node-b"), 0);
    d.onEvent(event("connected", "conn-3", "c3").put("nodeId", "node-b"), 0);
    d.onEvent(event("connected", "conn-4", "c3"), 0);

    // WHEN node-b leaves the cluster (long before its connections would go stale)
    d.nodeLeft("node-b");

    // THEN c2 is gone, c1 and c3 remain
    assertThat(d.connectedCrawlers()).isEqualTo(2);
    assertThat(connected(d, "c2")).isFalse();
    assertThat(connected(d, "c3")).isTrue();
  }

  @Test
  @DisplayName("a heartbeat that repeats a crawler's status and node keeps the values already stored; a changed one replaces them")
  void unchangedHeartbeatValuesAreNotStoredAgain() {
    // GIVEN crawler c1, whose first heartbeat said "idle" on node-a
    CrawlerDirectory d = new CrawlerDirectory(STALE, FORGET);
    String idle = new String("idle");
    String nodeA = new String("node-a");
    d.onHeartbeat(heartbeat(idle, "t1"), "conn-1", "c1", nodeA, 0);

    // WHEN the next heartbeats carry equal but freshly decoded strings
    d.onHeartbeat(heartbeat(new String("idle"), "t2"), "conn-1", new String("c1"), new String("node-a"), 1);
    d.onEvent(event("heartbeat", "conn-1", "c1"), 2);

    // THEN the first instances are still the ones held (nothing stored into the long-lived entry)
    JsonObject c1 = (JsonObject) d.toJson(new JsonObject()).getValue(0);
    assertThat(c1.getString("systemStatus")).isSameAs(idle);
    assertThat(c1.getString("nodeId")).isSameAs(nodeA);
    assertThat(c1.getString("lastHeartbeat")).isEqualTo("t2");

    // WHEN its status changes THEN the new value is taken
    d.onHeartbeat(heartbeat("processing", "t3"), "conn-1", "c1", "node-a", 3);
    c1 = (JsonObject) d.toJson(new JsonObject()).getValue(0);
    assertThat(c1.getString("systemStatus")).isEqualTo("processing");
    assertThat(c1.getString("lastHeartbeat")).isEqualTo("t3");
    assertThat(d.connectedCrawlers()).isEqualTo(1);
  }

  private static JsonObject heartbeat(String systemStatus, String timestamp) {
    return new JsonObject().put("type", "heartbeat").put("timestamp", timestamp)
        .put("data", new JsonObject().put("systemStatus", systemStatus).put("activeJobs", 0));
  }
}
