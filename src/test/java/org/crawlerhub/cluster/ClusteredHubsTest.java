package org.crawlerhub.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.crawlerhub.testing.LineClient.msg;

import io.vertx.core.Future;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.app.HubApplication;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.jobs.JobsClient;
import org.crawlerhub.testing.LineClient;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two clustered hubs in one JVM (Hazelcast over loopback, one shared PostgreSQL database), driven
 * by crawlers on both nodes: SPEC §8 "jobs are claimed once cluster-wide;
 * hub.crawler.outbound.&lt;id&gt; reaches them wherever they are; the aggregate is cluster-wide".
 */
@Timeout(value = 110, unit = TimeUnit.SECONDS)
class ClusteredHubsTest {
  private static final Duration WAIT = Duration.ofSeconds(15);

  private final List<HubApplication> hubs = new ArrayList<>();
  private final List<LineClient> clients = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stopEverything() throws Exception {
    for (LineClient c : clients) {
      c.close();
    }
    // stop in reverse: the second node leaves a cluster that still has its first member
    for (int i = hubs.size() - 1; i >= 0; i--) {
      hubs.get(i).stop().await(60, TimeUnit.SECONDS);
    }
  }

  // ------------------------------------------------------------------------------------------
  // fixture

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** A node's configuration: its own socket, HTTP and cluster port; the shared database; short liveness. */
  private static JsonObject nodeConfig(String dbUrl, int clusterPort) throws IOException {
    Path dir = Files.createTempDirectory("hub-cluster");
    return new JsonObject()
        .put("profile", "test")
        .put("dataDir", dir.toString())
        .put("socketPath", dir.resolve("hub.sock").toString())
        .put("database", new JsonObject().put("url", dbUrl))
        .put("http", new JsonObject().put("port", freePort()))
        .put("shutdownTimeout", 1000)
        .put("heartbeatInterval", 1000).put("heartbeatTimeout", 6000)
        .put("leaseGrace", 1500).put("leaseCheckInterval", 200)
        .put("maxConcurrentJobs", 2000).put("maxJobsPerRequest", 25)
        .put("cluster", new JsonObject().put("enabled", true).put("host", "127.0.0.1")
            .put("port", clusterPort).put("members", new JsonArray().add("127.0.0.1")));
  }

  /** Starts node A and node B on the same fresh database and waits until each sees two members. */
  private List<HubApplication> twoNodes() throws Exception {
    return twoNodes(c -> c);
  }

  /** The same, with node B's configuration changed by {@code tweakB}. */
  private List<HubApplication> twoNodes(java.util.function.UnaryOperator<JsonObject> tweakB) throws Exception {
    String db = TestDatabase.freshDatabase();
    int base = freePort();
    while (base > 65000) { // node B takes base + 1
      base = freePort();
    }
    HubApplication a = HubApplication.start(nodeConfig(db, base)).await(120, TimeUnit.SECONDS);
    hubs.add(a);
    HubApplication b = HubApplication.start(tweakB.apply(nodeConfig(db, base + 1))).await(120, TimeUnit.SECONDS);
    hubs.add(b);
    return List.of(a, b);
  }

  private LineClient crawler(HubApplication node, String crawlerId) throws IOException {
    LineClient c = LineClient.unix(Path.of(node.config().socketPath()));
    clients.add(c);
    c.send(msg("hello", null, new JsonObject().put("crawlerId", crawlerId).put("version", "1.0.0")));
    JsonObject welcome = firstOfType(c, "welcome");
    assertThat(welcome.getJsonObject("data").getString("nodeId")).isEqualTo(node.config().nodeId());
    return c;
  }

  private static JsonObject firstOfType(LineClient c, String type) throws IOException {
    return c.readUntil(m -> type.equals(m.getString("type")), WAIT);
  }

  /** job_request, answered with the job_response's jobs. */
  private static JsonArray request(LineClient c, int maxJobs) throws IOException {
    c.send(msg("job_request", null, new JsonObject().put("maxJobs", maxJobs)));
    return firstOfType(c, "job_response").getJsonObject("data").getJsonArray("jobs");
  }

  private static JsonObject jobSpec(String entityId) {
    return new JsonObject().put("entityType", "project").put("entityId", entityId)
        .put("gitlabUrl", "https://gitlab.example.com").put("accessToken", "glpat-secret");
  }

  private static List<String> enqueue(HubApplication node, int n, String prefix) throws Exception {
    JsonArray specs = new JsonArray();
    for (int i = 0; i < n; i++) {
      specs.add(jobSpec(prefix + "/" + i));
    }
    JsonObject created = new JobsClient(node.vertx()).enqueueAll(specs).await(60, TimeUnit.SECONDS);
    List<String> ids = new ArrayList<>();
    created.getJsonArray("jobs").forEach(j -> ids.add(((JsonObject) j).getString("id")));
    return ids;
  }

  private HttpResponse<String> httpGet(HubApplication node, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base(node) + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> httpPost(HubApplication node, String path, JsonObject body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base(node) + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static String base(HubApplication node) {
    return "http://127.0.0.1:" + node.config().http().port();
  }

  private static JsonObject shutdownFrame(String reason) {
    return new JsonObject().put("type", "shutdown")
        .put("data", new JsonObject().put("graceful", true).put("timeout_seconds", 30).put("reason", reason));
  }

  private static JsonObject job(HubApplication node, String jobId) throws Exception {
    return new JobsClient(node.vertx()).get(jobId).await(10, TimeUnit.SECONDS);
  }

  // ------------------------------------------------------------------------------------------
  // tests

  @Test
  @DisplayName("both nodes report the cluster joined with two members, and each names itself by its Vert.x cluster node id")
  void readinessReportsTheJoinedCluster() throws Exception {
    // GIVEN two clustered hubs
    List<HubApplication> nodes = twoNodes();

    for (HubApplication node : nodes) {
      // WHEN an operator asks each node whether it is ready
      // THEN it is, with the cluster check up and both members seen
      await().atMost(WAIT).untilAsserted(() -> {
        HttpResponse<String> r = httpGet(node, "/ready");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonObject cluster = new JsonObject(r.body()).getJsonArray("checks").stream()
            .map(JsonObject.class::cast).filter(c -> "cluster".equals(c.getString("id"))).findFirst().orElseThrow();
        assertThat(cluster.getString("status")).isEqualTo("UP");
        assertThat(cluster.getJsonObject("data").getInteger("members")).isEqualTo(2);
        assertThat(cluster.getJsonObject("data").getString("nodeId")).isEqualTo(node.config().nodeId());
      });
    }
    // AND the two nodes have distinct ids
    assertThat(nodes.get(0).config().nodeId()).isNotEqualTo(nodes.get(1).config().nodeId());

    // WHEN node B stops
    nodes.get(1).stop().await(60, TimeUnit.SECONDS);

    // THEN it left the cluster cleanly: node A sees one member at once (a crash would take Hazelcast's heartbeat timeout)
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      HttpResponse<String> r = httpGet(nodes.get(0), "/ready");
      JsonObject cluster = new JsonObject(r.body()).getJsonArray("checks").stream()
          .map(JsonObject.class::cast).filter(c -> "cluster".equals(c.getString("id"))).findFirst().orElseThrow();
      assertThat(cluster.getJsonObject("data").getInteger("members")).isEqualTo(1);
    });
  }

  @Test
  @DisplayName("each node's /api/status and /api/connections describe that node, not whichever node the bus picked")
  void statusDescribesTheNodeAsked() throws Exception {
    // GIVEN a crawler on node A only
    List<HubApplication> nodes = twoNodes();
    HubApplication a = nodes.get(0);
    HubApplication b = nodes.get(1);
    crawler(a, "crawler-status");

    for (int i = 0; i < 6; i++) {
      // WHEN an operator asks each node for its status and connections, several times
      JsonObject statusA = new JsonObject(httpGet(a, "/api/status").body());
      JsonObject statusB = new JsonObject(httpGet(b, "/api/status").body());
      JsonObject connectionsB = new JsonObject(httpGet(b, "/api/connections").body());

      // THEN every answer comes from the node that was asked
      assertThat(statusA.getString("nodeId")).isEqualTo(a.config().nodeId());
      assertThat(statusB.getString("nodeId")).isEqualTo(b.config().nodeId());
      assertThat(statusA.getInteger("connections")).isEqualTo(1);
      assertThat(statusB.getInteger("connections")).isZero();
      assertThat(connectionsB.getInteger("total")).isZero();
    }
  }

  @Test
  @DisplayName("a message sent on node B to hub.crawler.outbound.<id> or through B's HTTP API reaches the crawler connected to node A")
  void outboundReachesCrawlerOnTheOtherNode() throws Exception {
    // GIVEN a crawler connected to node A
    List<HubApplication> nodes = twoNodes();
    HubApplication a = nodes.get(0);
    HubApplication b = nodes.get(1);
    LineClient crawler = crawler(a, "crawler-on-a");

    // WHEN node B sends it a message over the event bus (retrying until B has seen the consumer)
    await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
      Future<?> sent = b.vertx().eventBus().request(Addresses.outbound("crawler-on-a"), shutdownFrame("via-bus"),
          new DeliveryOptions().setSendTimeout(5000));
      try {
        sent.await(6, TimeUnit.SECONDS);
        return true;
      } catch (Exception noHandlerYet) {
        return false;
      }
    });

    // THEN the crawler on A receives it
    assertThat(firstOfType(crawler, "shutdown").getJsonObject("data").getString("reason")).isEqualTo("via-bus");

    // WHEN an operator posts a message to node B's HTTP API for that crawler
    HttpResponse<String> r = httpPost(b, "/api/crawlers/crawler-on-a/messages", shutdownFrame("via-http"));

    // THEN B delivers it to the crawler on A
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    assertThat(new JsonObject(r.body()).getBoolean("delivered")).isTrue();
    assertThat(firstOfType(crawler, "shutdown").getJsonObject("data").getString("reason")).isEqualTo("via-http");

    // AND a crawler connected nowhere is a 404 on either node
    assertThat(httpPost(b, "/api/crawlers/nobody/messages", shutdownFrame("x")).statusCode()).isEqualTo(404);
  }

  @Test
  @DisplayName("a job_assignment posted on node B for a crawler on node A assigns the job to it, and the crawler completes it through A")
  void jobAssignmentAcrossNodes() throws Exception {
    // GIVEN a queued job and a crawler connected to node A
    List<HubApplication> nodes = twoNodes();
    HubApplication a = nodes.get(0);
    HubApplication b = nodes.get(1);
    String jobId = enqueue(a, 1, "group/assigned").get(0);
    LineClient crawler = crawler(a, "crawler-assigned");
    JsonObject assignment = new JsonObject().put("type", "job_assignment").put("data", new JsonObject()
        .put("job_id", jobId).put("job_type", "crawl_project").put("gitlab_host", "gitlab.example.com")
        .put("access_token", "glpat-secret"));

    // WHEN an operator posts the assignment to node B
    await().atMost(WAIT).untilAsserted(() -> {
      HttpResponse<String> r = httpPost(b, "/api/crawlers/crawler-assigned/messages", assignment);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    });

    // THEN the crawler on A receives it and the job is assigned to that crawler
    assertThat(firstOfType(crawler, "job_assignment").getJsonObject("data").getString("job_id")).isEqualTo(jobId);
    JsonObject assigned = job(b, jobId).getJsonObject("job");
    assertThat(assigned.getString("status")).isEqualTo("assigned");
    assertThat(assigned.getString("leaseOwner")).isEqualTo("crawler-assigned");

    // AND the crawler can start and complete it through node A
    crawler.send(msg("job_started", jobId, new JsonObject()));
    crawler.send(msg("job_completed", jobId, new JsonObject().put("success", true).put("finalCounts", new JsonObject())));
    crawler.send(msg("job_request", null, new JsonObject().put("maxJobs", 0)));
    JsonObject reply = crawler.readUntil(m -> "job_response".equals(m.getString("type"))
        || "error".equals(m.getString("type")), WAIT);
    assertThat(reply.getString("type")).as(reply.encode()).isEqualTo("job_response");
    await().atMost(WAIT).untilAsserted(() ->
        assertThat(job(b, jobId).getJsonObject("job").getString("status")).isEqualTo("completed"));
  }

  /** An idle heartbeat from each crawler. */
  private static void heartbeat(LineClient... crawlers) throws IOException {
    for (LineClient c : crawlers) {
      c.send(msg("heartbeat", null, new JsonObject().put("activeJobs", 0).put("totalProcessed", 0)
          .put("systemStatus", "idle")));
    }
  }

  /** nodeId -> activeConnections from the cluster block of {@code node}'s /api/status. */
  private java.util.Map<String, Integer> clusterConnections(HubApplication node) throws Exception {
    JsonObject cluster = new JsonObject(httpGet(node, "/api/status").body()).getJsonObject("cluster");
    java.util.Map<String, Integer> byNode = new java.util.HashMap<>();
    if (cluster != null) {
      cluster.getJsonArray("nodes").forEach(n -> byNode.put(((JsonObject) n).getString("nodeId"),
          ((JsonObject) n).getInteger("activeConnections")));
    }
    return byNode;
  }

  @Test
  @DisplayName("either node's /api/status lists both nodes and their connections, /api/crawlers the whole fleet; a node that stops leaves the list, one that is not a member never enters it")
  void fleetViewFromEitherNode() throws Exception {
    // GIVEN one crawler on node A and two on node B
    List<HubApplication> nodes = twoNodes();
    HubApplication a = nodes.get(0);
    HubApplication b = nodes.get(1);
    String idA = a.config().nodeId();
    String idB = b.config().nodeId();
    List<LineClient> fleet = List.of(crawler(a, "fleet-a"), crawler(b, "fleet-b1"), crawler(b, "fleet-b2"));

    for (HubApplication node : nodes) {
      heartbeat(fleet.toArray(new LineClient[0])); // clear of the 6 s heartbeatTimeout however slow this runs
      // WHEN an operator asks either node for its status
      // THEN its cluster block lists both nodes with their own crawlers, and the totals
      await().atMost(WAIT).until(() -> clusterConnections(node).equals(java.util.Map.of(idA, 1, idB, 2)));
      JsonObject cluster = new JsonObject(httpGet(node, "/api/status").body()).getJsonObject("cluster");
      assertThat(cluster.getInteger("connections")).isEqualTo(3);
      assertThat(cluster.getInteger("activeConnections")).isEqualTo(3);
      // AND its own counts are still its own
      JsonObject status = new JsonObject(httpGet(node, "/api/status").body());
      assertThat(status.getInteger("connections")).isEqualTo(node == a ? 1 : 2);

      // WHEN it is asked for the crawlers
      JsonArray crawlers = new JsonObject(httpGet(node, "/api/crawlers").body()).getJsonArray("crawlers");
      // THEN all three are listed, each with the node it is connected to
      java.util.Map<String, String> where = new java.util.HashMap<>();
      crawlers.forEach(c -> where.put(((JsonObject) c).getString("crawlerId"), ((JsonObject) c).getString("nodeId")));
      assertThat(where).isEqualTo(java.util.Map.of("fleet-a", idA, "fleet-b1", idB, "fleet-b2", idB));
      // AND a crawler on the other node is found by id
      JsonObject one = new JsonObject(httpGet(node, "/api/crawlers/fleet-b1").body());
      assertThat(one.getBoolean("connected")).isTrue();
      assertThat(one.getJsonObject("connection").getString("nodeId")).isEqualTo(idB);
    }

    // WHEN node B stops
    b.stop().await(60, TimeUnit.SECONDS);
    hubs.remove(b);
    // THEN node A's cluster block lists only itself, and its crawler list only its own crawler
    await().atMost(WAIT).until(() -> clusterConnections(a).equals(java.util.Map.of(idA, 1)));
    JsonArray crawlers = new JsonObject(httpGet(a, "/api/crawlers").body()).getJsonArray("crawlers");
    assertThat(crawlers).extracting(c -> ((JsonObject) c).getString("crawlerId")).containsExactly("fleet-a");

    // WHEN a hub that is not a member of the cluster announces itself on the bus (one that was
    // partitioned away, or whose membership ended while its process lives on)
    a.vertx().eventBus().publish(Addresses.STATUS_NODES, new JsonObject().put("nodeId", "ghost").put("running", true)
        .put("uptimeMs", 1).put("connections", 5).put("activeConnections", 5));
    // THEN it is neither listed nor counted
    // (only the node set: fleet-a, silent since its hello, meets the test's 6 s heartbeatTimeout meanwhile)
    await().during(Duration.ofMillis(1000)).atMost(WAIT)
        .untilAsserted(() -> assertThat(clusterConnections(a).keySet()).containsExactly(idA));
  }

  @Test
  @DisplayName("a member whose status announcements stop is left out of the other node's status after three announcement intervals")
  void silentMemberLeavesTheStatus() throws Exception {
    // GIVEN node A listing node B, which stays a cluster member throughout
    List<HubApplication> nodes = twoNodes();
    HubApplication a = nodes.get(0);
    HubApplication b = nodes.get(1);
    String idB = b.config().nodeId();
    await().atMost(WAIT).until(() -> clusterConnections(a).containsKey(idB));

    // WHEN B's announcements stop reaching the bus (its status verticle hangs, say)
    b.vertx().eventBus().addOutboundInterceptor(dc -> {
      if (!Addresses.STATUS_NODES.equals(dc.message().address())) {
        dc.next();
      }
    });
    long silentFrom = System.nanoTime();

    // THEN A leaves B out once its last summary is older than 3 x ANNOUNCE_MS, not before
    await().atMost(WAIT).until(() -> !clusterConnections(a).containsKey(idB));
    assertThat(Duration.ofNanos(System.nanoTime() - silentFrom))
        .isGreaterThanOrEqualTo(Duration.ofMillis(2 * org.crawlerhub.gateway.StatusVerticle.ANNOUNCE_MS - 500));
    assertThat(ClusterSupport.isMember(a.vertx(), idB)).as("B is still a member").isTrue();
  }

  @Test
  @DisplayName("a broadcast posted on node B reaches the crawlers connected to both nodes")
  void broadcastReachesCrawlersOnBothNodes() throws Exception {
    // GIVEN one crawler on each node
    List<HubApplication> nodes = twoNodes();
    LineClient onA = crawler(nodes.get(0), "crawler-a");
    LineClient onB = crawler(nodes.get(1), "crawler-b");

    // WHEN node B's view of the cluster has node A's crawler, and an operator broadcasts through node B
    await().atMost(WAIT).until(() -> {
      heartbeat(onA, onB); // alive while waiting (the test's heartbeatTimeout is 6 s)
      return clusterConnections(nodes.get(1)).equals(
          java.util.Map.of(nodes.get(0).config().nodeId(), 1, nodes.get(1).config().nodeId(), 1));
    });
    HttpResponse<String> r = httpPost(nodes.get(1), "/api/broadcast", shutdownFrame("maintenance"));

    // THEN both crawlers receive it, and both are counted as recipients
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    assertThat(new JsonObject(r.body()).getInteger("recipients")).isEqualTo(2);
    assertThat(firstOfType(onA, "shutdown").getJsonObject("data").getString("reason")).isEqualTo("maintenance");
    assertThat(firstOfType(onB, "shutdown").getJsonObject("data").getString("reason")).isEqualTo("maintenance");
  }

  @Test
  @DisplayName("2,000 queued jobs claimed concurrently by crawlers on both nodes are each handed out exactly once")
  void jobsAreClaimedOnceClusterWide() throws Exception {
    // GIVEN 2,000 queued jobs and four crawlers on each node
    List<HubApplication> nodes = twoNodes();
    List<String> enqueued = enqueue(nodes.get(0), 2000, "group/claims");
    List<LineClient> crawlers = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      crawlers.add(crawler(nodes.get(i % 2), "claimer-" + i));
    }

    // WHEN they all ask for work at the same time until the queue is empty
    ExecutorService pool = Executors.newFixedThreadPool(crawlers.size());
    List<String> handedOut = Collections.synchronizedList(new ArrayList<>());
    List<Callable<Integer>> loops = new ArrayList<>();
    for (LineClient c : crawlers) {
      loops.add(() -> {
        int got = 0;
        for (JsonArray jobs = request(c, 25); !jobs.isEmpty(); jobs = request(c, 25)) {
          jobs.forEach(j -> handedOut.add(((JsonObject) j).getString("id")));
          got += jobs.size();
        }
        return got;
      });
    }
    List<Integer> perCrawler = new ArrayList<>();
    try {
      for (var f : pool.invokeAll(loops, 60, TimeUnit.SECONDS)) {
        perCrawler.add(f.get());
      }
    } finally {
      pool.shutdownNow();
    }

    // THEN every job was handed out exactly once, across both nodes
    assertThat(handedOut).hasSize(2000).doesNotHaveDuplicates();
    assertThat(new HashSet<>(handedOut)).isEqualTo(new HashSet<>(enqueued));
    assertThat(perCrawler.get(0) + perCrawler.get(2) + perCrawler.get(4) + perCrawler.get(6)).as("node A").isPositive();
    assertThat(perCrawler.get(1) + perCrawler.get(3) + perCrawler.get(5) + perCrawler.get(7)).as("node B").isPositive();
    // AND the database agrees: all assigned, first attempt
    JsonObject stats = new JobsClient(nodes.get(1).vertx()).stats().await(10, TimeUnit.SECONDS);
    assertThat(stats.getLong("assigned")).isEqualTo(2000L);
    assertThat(stats.getLong("queued")).isZero();
  }

  @Test
  @DisplayName("a node that drops out of the cluster without stopping is announced on node A by its hub nodeId, and A's status stops listing it")
  void nodeThatDiesIsAnnounced() throws Exception {
    // GIVEN node A and node B (configured nodeId "node-b"), A listing B in its cluster status
    List<HubApplication> nodes = twoNodes(c -> c.put("nodeId", "node-b"));
    HubApplication a = nodes.get(0);
    HubApplication b = nodes.get(1);
    List<String> left = Collections.synchronizedList(new ArrayList<>());
    a.vertx().eventBus().<String>localConsumer(Addresses.CLUSTER_NODE_LEFT, m -> left.add(m.body()))
        .completion().await(10, TimeUnit.SECONDS);
    await().atMost(WAIT).until(() -> httpGet(a, "/api/status").body().contains("\"node-b\""));
    // AND a crawler connected to B, which A's fleet view counts
    crawler(b, "crawler-on-b");
    await().atMost(WAIT).until(() -> new JsonObject(httpGet(a, "/api/progress").body())
        .getInteger("connectedCrawlers") == 1);

    // WHEN B's cluster membership ends without B stopping (as when its process dies: no goodbye)
    var manager = (io.vertx.spi.cluster.hazelcast.HazelcastClusterManager)
        ((io.vertx.core.internal.VertxInternal) b.vertx()).clusterManager();
    manager.getHazelcastInstance().getLifecycleService().terminate();

    // THEN A is told which hub node left (its jobs service lets go of B's connections), its status
    // no longer lists B, and its fleet view stops counting B's crawler before that connection would
    // go stale (2 x heartbeatTimeout = 12 s of silence)
    // (Hazelcast notices within 0.5–3.5 s here)
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(left).containsExactly("node-b"));
    long noticed = System.nanoTime();
    await().atMost(WAIT).until(() -> !httpGet(a, "/api/status").body().contains("\"node-b\""));
    await().atMost(WAIT).until(() -> new JsonObject(httpGet(a, "/api/progress").body())
        .getInteger("connectedCrawlers") == 0);
    assertThat((System.nanoTime() - noticed) / 1_000_000).isLessThan(5000L);

    // AND what still arrives from B afterwards (its process lives on, and its event bus may still
    // reach A) is not taken: neither a status announcement nor a crawler connecting there
    a.vertx().eventBus().publish(Addresses.STATUS_NODES, new JsonObject().put("nodeId", "node-b")
        .put("running", true).put("uptimeMs", 1000L).put("connections", 1).put("activeConnections", 1));
    a.vertx().eventBus().publish(Addresses.CRAWLER_EVENTS, new JsonObject().put("event", "connected")
        .put("connectionId", "late-connection").put("crawlerId", "late-on-b").put("nodeId", "node-b"));
    await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      assertThat(httpGet(a, "/api/status").body()).doesNotContain("\"node-b\"");
      assertThat(new JsonObject(httpGet(a, "/api/progress").body()).getInteger("connectedCrawlers")).isZero();
    });
  }

  @Test
  @DisplayName("a crawler that moves from node A to node B within leaseGrace keeps its lease, and a crawler that never returns has its job requeued exactly once")
  void leasesFollowCrawlersAcrossNodes() throws Exception {
    // GIVEN two jobs, one held by crawler-mover and one by crawler-lost, both connected to node A
    List<HubApplication> nodes = twoNodes();
    HubApplication a = nodes.get(0);
    HubApplication b = nodes.get(1);
    List<String> ids = enqueue(a, 2, "group/leases");
    LineClient mover = crawler(a, "crawler-mover");
    LineClient lost = crawler(a, "crawler-lost");
    String moverJob = request(mover, 1).getJsonObject(0).getString("id");
    String lostJob = request(lost, 1).getJsonObject(0).getString("id");
    assertThat(Set.of(moverJob, lostJob)).isEqualTo(Set.copyOf(ids));
    mover.send(msg("job_started", moverJob, new JsonObject()));
    lost.send(msg("job_started", lostJob, new JsonObject()));
    request(mover, 0);
    request(lost, 0);

    // WHEN both lose their connections to A, and crawler-mover reconnects to node B at once
    mover.close();
    lost.close();
    LineClient moved = crawler(b, "crawler-mover");

    // THEN after leaseGrace the lost crawler's job is back in the queue with attempt 2
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
      JsonObject j = job(b, lostJob).getJsonObject("job");
      assertThat(j.getString("status")).isEqualTo("queued");
      assertThat(j.getInteger("attempt")).isEqualTo(2);
    });
    // AND it stays requeued exactly once although both nodes scan leases (several scan periods)
    await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      JsonObject detail = job(a, lostJob);
      assertThat(detail.getJsonObject("job").getInteger("attempt")).isEqualTo(2);
      long requeues = detail.getJsonArray("events").stream().map(JsonObject.class::cast)
          .filter(e -> "queued".equals(e.getString("to")) && e.getString("from") != null
              && !"queued".equals(e.getString("from")))
          .count();
      assertThat(requeues).isEqualTo(1);
    });

    // AND the crawler that moved to B still holds its lease and can complete its job there
    JsonObject movedJob = job(b, moverJob).getJsonObject("job");
    assertThat(movedJob.getString("status")).isEqualTo("running");
    assertThat(movedJob.getString("leaseOwner")).isEqualTo("crawler-mover");
    assertThat(movedJob.getInteger("attempt")).isEqualTo(1);
    moved.send(msg("job_completed", moverJob, new JsonObject().put("success", true)
        .put("finalCounts", new JsonObject().put("issue", 3))));
    moved.send(msg("job_request", null, new JsonObject().put("maxJobs", 0)));
    JsonObject reply = moved.readUntil(m -> "job_response".equals(m.getString("type"))
        || "error".equals(m.getString("type")), WAIT);
    assertThat(reply.getString("type")).as(reply.encode()).isNotEqualTo("error");
    await().atMost(WAIT).untilAsserted(() ->
        assertThat(job(a, moverJob).getJsonObject("job").getString("status")).isEqualTo("completed"));
  }

  @Test
  @DisplayName("the fleet aggregate is the same on both nodes and counts each node's crawlers and jobs once")
  void aggregateIsClusterWide() throws Exception {
    // GIVEN three queued jobs, a crawler on each node running one of them
    List<HubApplication> nodes = twoNodes();
    HubApplication a = nodes.get(0);
    HubApplication b = nodes.get(1);
    enqueue(a, 3, "group/aggregate");
    LineClient onA = crawler(a, "agg-a");
    LineClient onB = crawler(b, "agg-b");
    String jobA = request(onA, 1).getJsonObject(0).getString("id");
    String jobB = request(onB, 1).getJsonObject(0).getString("id");
    onA.send(msg("job_started", jobA, new JsonObject()));
    onB.send(msg("job_started", jobB, new JsonObject()));
    onA.send(msg("job_progress", jobA, new JsonObject().put("stage", "fetching").put("entityType", "issue")
        .put("processed", 10).put("total", 100)));
    onB.send(msg("job_progress", jobB, new JsonObject().put("stage", "fetching").put("entityType", "issue")
        .put("processed", 30).put("total", 100)));
    request(onA, 0);
    request(onB, 0);

    // WHEN an operator asks each node for the aggregate (HTTP on A, the event bus on B)
    // THEN both answer the same cluster-wide numbers, each job and crawler counted once
    await().atMost(WAIT).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
      HttpResponse<String> r = httpGet(a, "/api/progress");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      JsonObject viaHttp = new JsonObject(r.body());
      JsonObject viaBus = b.vertx().eventBus().<JsonObject>request(Addresses.PROGRESS_GET, new JsonObject())
          .await(5, TimeUnit.SECONDS).body();
      for (JsonObject agg : List.of(viaHttp, viaBus)) {
        assertThat(agg.getLong("totalJobs")).as(agg.encode()).isEqualTo(3L);
        assertThat(agg.getLong("queuedJobs")).as(agg.encode()).isEqualTo(1L);
        assertThat(agg.getLong("activeJobs")).as(agg.encode()).isEqualTo(2L);
        assertThat(agg.getInteger("connectedCrawlers")).as(agg.encode()).isEqualTo(2);
      }
      for (String field : List.of("totalJobs", "queuedJobs", "activeJobs", "completedJobs", "failedJobs",
          "deadJobs", "connectedCrawlers", "overallCompletion")) {
        assertThat(viaBus.getValue(field)).as(field).isEqualTo(viaHttp.getValue(field));
      }
    });
  }

  @Test
  @DisplayName("a crawler that connects to node B with the crawlerId it holds on node A supersedes the A connection")
  void supersededAcrossNodes() throws Exception {
    // GIVEN crawler-dup connected to node A
    List<HubApplication> nodes = twoNodes();
    LineClient old = crawler(nodes.get(0), "crawler-dup");

    // WHEN the same crawlerId connects to node B
    LineClient newer = crawler(nodes.get(1), "crawler-dup");

    // THEN the A connection gets error SUPERSEDED and is closed
    JsonObject err = firstOfType(old, "error");
    assertThat(err.getJsonObject("data").getString("code")).isEqualTo("SUPERSEDED");
    assertThat(old.awaitClosed(WAIT)).isTrue();
    // AND the newer connection on B keeps working and is the one reached through the outbound address
    assertThat(request(newer, 0)).isEmpty();
    await().atMost(WAIT).untilAsserted(() -> {
      HttpResponse<String> r = httpPost(nodes.get(0), "/api/crawlers/crawler-dup/messages", shutdownFrame("to-newer"));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    });
    assertThat(firstOfType(newer, "shutdown").getJsonObject("data").getString("reason")).isEqualTo("to-newer");
  }
}
