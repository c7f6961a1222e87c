package org.crawlerhub.api;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.protocol.MessageValidator;
import org.crawlerhub.protocol.ProtocolException;

/**
 * Small in-memory stand-ins for the hub services the HTTP verticle talks to, behaving per the bus
 * contract of ARCHITECTURE.md (reply shapes, {@code fail(status, "CODE: message")}). They are the
 * bus boundary of the verticle under test, not a database mock.
 */
final class FakeHubServices extends VerticleBase {
  static final Set<String> OPEN = Set.of("queued", "assigned", "running");

  final Map<String, JsonObject> jobs = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
  final Map<String, JsonArray> jobEvents = new java.util.concurrent.ConcurrentHashMap<>();
  final Map<String, JsonObject> progress = new java.util.concurrent.ConcurrentHashMap<>();
  final List<JsonObject> connections = new CopyOnWriteArrayList<>();
  final List<JsonObject> errors = new CopyOnWriteArrayList<>();
  final List<JsonObject> delivered = new CopyOnWriteArrayList<>();
  final List<JsonObject> broadcasts = new CopyOnWriteArrayList<>();
  final List<JsonObject> lastErrorQuery = new CopyOnWriteArrayList<>();
  /** How many single jobs were asked for ({@code hub.jobs.get}, i.e. GET /api/jobs/{id}). */
  final java.util.concurrent.atomic.AtomicInteger jobGets = new java.util.concurrent.atomic.AtomicInteger();
  volatile boolean databaseUp = true;
  volatile JsonObject aggregate = new JsonObject();
  /** When set, ServerStatus carries it as its {@code cluster} block (as a clustered hub's does). */
  volatile JsonObject cluster;
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private int nextId = 1;

  @Override
  public Future<?> start() {
    List<Future<Void>> f = new ArrayList<>();
    f.add(on(Addresses.STATUS, m -> {
      JsonObject status = new JsonObject().put("running", true).put("nodeId", "node-a")
          .put("uptimeMs", 12_345).put("connections", connections.size()).put("activeConnections", connections.size())
          .put("listeners", new JsonArray().add(new JsonObject().put("transport", "unix")
              .put("address", "/tmp/crawler-hub.sock")))
          .put("config", new JsonObject().put("http", new JsonObject().put("adminToken", "****")));
      if (cluster != null) {
        status.put("cluster", cluster.copy());
      }
      m.reply(status);
    }));
    f.add(on(Addresses.CONNECTIONS, m -> m.reply(new JsonObject().put("total", connections.size())
        .put("active", connections.size()).put("idle", 0).put("error", 0)
        .put("crawlers", new JsonArray(new ArrayList<>(connections))))));
    f.add(on(Addresses.JOBS_ENQUEUE, this::enqueue));
    f.add(on(Addresses.JOBS_GET, m -> {
      jobGets.incrementAndGet();
      JsonObject job = jobs.get(body(m).getString("id"));
      if (job == null) {
        m.fail(404, "NOT_FOUND: job " + body(m).getString("id") + " does not exist");
      } else {
        m.reply(new JsonObject().put("job", job.copy()).put("events", jobEvents.get(job.getString("id")).copy()));
      }
    }));
    f.add(on(Addresses.JOBS_LIST, this::list));
    f.add(on(Addresses.JOBS_CANCEL, m -> transition(m, OPEN, "cancelled")));
    f.add(on(Addresses.JOBS_RETRY, m -> transition(m, Set.of("failed", "dead", "cancelled"), "queued")));
    f.add(on(Addresses.JOBS_STATS, m -> {
      if (!databaseUp) {
        return; // an unreachable database: the jobs service never answers in time
      }
      JsonObject stats = new JsonObject();
      for (String s : HttpVerticle.JOB_STATUSES) {
        stats.put(s, new ArrayList<>(jobs.values()).stream().filter(j -> s.equals(j.getString("status"))).count());
      }
      m.reply(stats.put("total", jobs.size()));
    }));
    f.add(on(Addresses.PROGRESS_GET, m -> {
      JsonObject q = body(m);
      if (q.containsKey("jobId")) {
        JsonObject p = progress.get(q.getString("jobId"));
        if (p == null) {
          m.fail(404, "NOT_FOUND: no progress for job " + q.getString("jobId"));
        } else {
          m.reply(p.copy());
        }
      } else if (q.getBoolean("crawlers", false)) {
        JsonArray cs = new JsonArray();
        connections.forEach(c -> cs.add(new JsonObject().put("crawlerId", c.getString("crawlerId"))
            .put("activeJobs", c.getInteger("activeJobs", 0)).put("rate", 12.5).put("systemStatus", "processing")
            .put("lastHeartbeat", c.getString("lastHeartbeat")).put("totalProcessed", 100)));
        m.reply(new JsonObject().put("crawlers", cs));
      } else {
        m.reply(aggregate.copy());
      }
    }));
    f.add(on(Addresses.ERRORS_QUERY, m -> {
      JsonObject q = body(m);
      lastErrorQuery.add(q);
      JsonArray out = new JsonArray();
      errors.stream()
          .filter(e -> !q.containsKey("category") || q.getString("category").equals(e.getString("category")))
          .filter(e -> !q.containsKey("severity") || q.getString("severity").equals(e.getString("severity")))
          .filter(e -> !q.containsKey("since") || Instant.parse(e.getString("timestamp"))
              .isAfter(Instant.parse(q.getString("since"))))
          .forEach(out::add);
      m.reply(new JsonObject().put("errors", out).put("stats", new JsonObject().put("total", errors.size())));
    }));
    f.add(on(Addresses.CRAWLER_BROADCAST, m -> broadcasts.add(body(m))));
    return Future.all(f).mapEmpty();
  }

  /** A connected crawler with a gateway consumer on its outbound address (as the gateway registers it). */
  Future<Void> connect(String crawlerId) {
    connections.add(new JsonObject().put("crawlerId", crawlerId).put("connectionId", "conn-" + crawlerId)
        .put("transport", "unix").put("connectedAt", Instant.now().toString())
        .put("lastHeartbeat", Instant.now().toString()).put("systemStatus", "processing").put("activeJobs", 1)
        .put("messagesIn", 10).put("messagesOut", 2).put("bytesIn", 1000).put("bytesOut", 200).put("errors", 0));
    return on(Addresses.outbound(crawlerId), m -> {
      try {
        MessageValidator.validateOutbound(body(m));
      } catch (ProtocolException e) {
        m.fail(400, e.code().name() + ": " + e.getMessage());
        return;
      }
      delivered.add(body(m).copy().put("to", crawlerId));
      m.reply(new JsonObject().put("delivered", true));
    });
  }

  private void enqueue(Message<Object> m) {
    JsonArray specs = body(m).getJsonArray("jobs");
    List<String> faults = new ArrayList<>();
    for (int i = 0; i < specs.size(); i++) {
      JsonObject s = specs.getJsonObject(i);
      for (String field : List.of("entityType", "entityId", "gitlabUrl", "accessToken")) {
        if (!(s.getValue(field) instanceof String)) {
          faults.add("jobs[" + i + "]." + field + ": required string");
        }
      }
    }
    if (!faults.isEmpty()) {
      m.fail(400, "VALIDATION_FAILED: " + String.join("; ", faults));
      return;
    }
    for (Object o : specs) {
      String id = ((JsonObject) o).getString("id");
      if (id != null && jobs.containsKey(id)) {
        m.fail(409, "CONFLICT: job " + id + " already exists");
        return;
      }
    }
    JsonArray out = new JsonArray();
    JsonArray created = new JsonArray();
    for (Object o : specs) {
      JsonObject s = (JsonObject) o;
      JsonObject existing = new ArrayList<>(jobs.values()).stream()
          .filter(j -> OPEN.contains(j.getString("status")))
          .filter(j -> j.getString("entityType").equals(s.getString("entityType"))
              && j.getString("entityId").equals(s.getString("entityId"))
              && String.valueOf(j.getString("command")).equals(String.valueOf(s.getString("command"))))
          .findFirst().orElse(null);
      if (existing != null) {
        out.add(existing.copy());
        created.add(false);
        continue;
      }
      String id = s.getString("id", "job-" + nextId++);
      String now = Instant.now().toString();
      JsonObject job = new JsonObject().put("id", id).put("status", "queued").put("priority", s.getInteger("priority", 1))
          .put("entityType", s.getString("entityType")).put("entityId", s.getString("entityId"))
          .put("fullPath", s.getString("fullPath")).put("jobType", s.getString("jobType"))
          .put("command", s.getString("command")).put("gitlabUrl", s.getString("gitlabUrl"))
          .put("accountId", s.getValue("accountId")).put("attempt", 1).put("maxAttempts", s.getInteger("maxAttempts", 4))
          .put("leaseOwner", (String) null).put("leaseExpiresAt", (String) null).put("spawnedFrom", (String) null)
          .put("resumeState", s.getJsonObject("resumeState")).put("progress", (Object) null)
          .put("createdAt", now).put("updatedAt", now).put("startedAt", (String) null)
          .put("finishedAt", (String) null).put("metadata", s.getJsonObject("metadata", new JsonObject()));
      jobs.put(id, job);
      jobEvents.put(id, new JsonArray().add(new JsonObject().put("at", now).put("from", (String) null)
          .put("to", "queued").put("attempt", 1).put("crawlerId", (String) null).put("reason", "created")));
      out.add(job.copy());
      created.add(true);
    }
    m.reply(new JsonObject().put("jobs", out).put("created", created));
  }

  private void list(Message<Object> m) {
    JsonObject q = body(m);
    List<JsonObject> all;
    synchronized (jobs) {
      all = new ArrayList<>(jobs.values());
    }
    java.util.Collections.reverse(all);
    List<JsonObject> matching = all.stream()
        .filter(j -> !q.containsKey("status") || q.getString("status").equals(j.getString("status")))
        .filter(j -> !q.containsKey("crawlerId") || q.getString("crawlerId").equals(j.getString("leaseOwner")))
        .filter(j -> !q.containsKey("spawnedFrom") || q.getString("spawnedFrom").equals(j.getString("spawnedFrom")))
        .toList();
    int from = q.containsKey("cursor") ? Integer.parseInt(q.getString("cursor")) : 0;
    int limit = q.getInteger("limit", 50);
    int to = Math.min(matching.size(), from + limit);
    JsonArray page = new JsonArray();
    matching.subList(Math.min(from, to), to).forEach(j -> page.add(j.copy()));
    m.reply(new JsonObject().put("jobs", page).put("nextCursor", to < matching.size() ? String.valueOf(to) : null));
  }

  private void transition(Message<Object> m, Set<String> allowedFrom, String to) {
    String id = body(m).getString("id");
    JsonObject job = jobs.get(id);
    if (job == null) {
      m.fail(404, "NOT_FOUND: job " + id + " does not exist");
      return;
    }
    String from = job.getString("status");
    if (!allowedFrom.contains(from)) {
      m.fail(409, "ILLEGAL_TRANSITION: job " + id + " is " + from + ", cannot become " + to);
      return;
    }
    job.put("status", to).put("updatedAt", Instant.now().toString());
    jobEvents.get(id).add(new JsonObject().put("at", Instant.now().toString()).put("from", from).put("to", to)
        .put("attempt", job.getInteger("attempt")).put("crawlerId", (String) null).put("reason", "api"));
    m.reply(new JsonObject().put("job", job.copy()));
  }

  private Future<Void> on(String address, Consumer<Message<Object>> handler) {
    MessageConsumer<Object> c = vertx.eventBus().consumer(address, handler::accept);
    consumers.add(c);
    return c.completion();
  }

  private static JsonObject body(Message<Object> m) {
    return (JsonObject) m.body();
  }
}
