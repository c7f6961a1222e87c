package org.crawlerhub.jobs;

import io.vertx.core.Future;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.persistence.JobRepository;
import org.crawlerhub.persistence.JobStoreException;
import org.crawlerhub.persistence.NewJob;
import org.crawlerhub.persistence.PgErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code hub.jobs.*} request/reply API (ARCHITECTURE "Jobs API on the bus"): enqueue, get, list,
 * cancel, retry, assign, retry-policy, stats. Each move is one transaction with its event row;
 * {@code moved} is told after the commit (the verticle updates its lease cache and publishes).
 * Failures are {@code fail(status, "CODE: message")}: 400 VALIDATION_FAILED, 404 NOT_FOUND,
 * 409 CONFLICT / ILLEGAL_TRANSITION, 503 UNAVAILABLE (database).
 */
final class JobsApi {
  private static final Logger LOG = LoggerFactory.getLogger(JobsApi.class);
  static final List<String> STATUSES =
      List.of("queued", "assigned", "running", "completed", "failed", "cancelled", "dead");
  private static final Set<String> TERMINAL = Set.of("completed", "cancelled", "dead");

  /** A committed API move of one job. */
  record Moved(JsonObject job, String from, String to, int attempt, int maxAttempts, String crawlerId,
      String reason, JsonObject details) {}

  private final HubConfig cfg;
  private final String nodeId;
  private final Pool pool;
  private final JobRepository jobs;
  private final Consumer<Moved> moved;
  private final Consumer<JsonObject> publish;
  private final Consumer<JsonObject> counted;

  JobsApi(HubConfig cfg, String nodeId, Pool pool, JobRepository jobs, Consumer<Moved> moved,
      Consumer<JsonObject> publish, Consumer<JsonObject> counted) {
    this.cfg = cfg;
    this.nodeId = nodeId;
    this.pool = pool;
    this.jobs = jobs;
    this.moved = moved;
    this.publish = publish;
    this.counted = counted;
  }

  void register(EventBus bus, List<MessageConsumer<?>> consumers) {
    consumers.add(bus.<JsonObject>consumer(Addresses.JOBS_ENQUEUE, m -> api(m, () -> enqueue(m.body()))));
    consumers.add(bus.<JsonObject>consumer(Addresses.JOBS_GET, m -> api(m, () -> get(m.body()))));
    consumers.add(bus.<JsonObject>consumer(Addresses.JOBS_LIST, m -> api(m, () -> list(m.body()))));
    consumers.add(bus.<JsonObject>consumer(Addresses.JOBS_CANCEL, m -> api(m, () -> cancel(m.body()))));
    consumers.add(bus.<JsonObject>consumer(Addresses.JOBS_RETRY, m -> api(m, () -> retry(m.body()))));
    consumers.add(bus.<JsonObject>consumer(Addresses.JOBS_ASSIGN, m -> api(m, () -> assign(m.body()))));
    consumers.add(bus.<JsonObject>consumer(Addresses.JOBS_APPLY_RETRY_POLICY, m -> api(m, () -> applyRetryPolicy(m.body()))));
    consumers.add(bus.<JsonObject>consumer(Addresses.JOBS_STATS, m -> api(m, this::stats)));
  }

  /** Runs an API operation; failures become {@code fail(status, "CODE: message")}. */
  private void api(Message<JsonObject> msg, Supplier<Future<JsonObject>> op) {
    Future<JsonObject> f;
    try {
      f = op.get();
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    f.onComplete(ar -> {
      if (ar.succeeded()) {
        msg.reply(ar.result());
        return;
      }
      Throwable t = ar.cause();
      if (t instanceof JobStoreException j) {
        msg.fail(j.status(), j.code() + ": " + j.getMessage());
      } else if (t instanceof JobSpecs.InvalidSpec || t instanceof IllegalArgumentException) {
        msg.fail(400, "VALIDATION_FAILED: " + t.getMessage());
      } else {
        LOG.warn("Jobs API {} failed: {}", msg.address(), PgErrors.describe(t));
        msg.fail(503, "UNAVAILABLE: the job store is not available (" + PgErrors.describe(t) + ")");
      }
    });
  }

  private static String requiredId(JsonObject body, String field) {
    Object id = body == null ? null : body.getValue(field);
    if (!(id instanceof String s) || s.isBlank()) {
      throw new IllegalArgumentException(field + ": required string");
    }
    return s;
  }

  private Future<JsonObject> enqueue(JsonObject body) {
    List<NewJob> specs = JobSpecs.parse(body, cfg.defaultMaxAttempts());
    return pool.withTransaction(conn -> {
      List<Map.Entry<Row, Boolean>> results = new ArrayList<>();
      Future<Void> chain = Future.succeededFuture();
      for (NewJob spec : specs) {
        chain = chain.compose(v -> jobs.insertJob(conn, spec, nodeId).map(r -> {
          results.add(r);
          return null;
        }));
      }
      return chain.map(v -> results);
    }).map(results -> {
      JsonArray out = new JsonArray();
      JsonArray created = new JsonArray();
      String at = Instant.now().toString();
      for (Map.Entry<Row, Boolean> r : results) {
        JsonObject job = JobRepository.job(r.getKey());
        out.add(job);
        created.add(r.getValue());
        if (r.getValue()) {
          publish.accept(new JsonObject().put("jobId", job.getString("id")).put("from", null).put("to", "queued")
              .put("attempt", 1).put("maxAttempts", job.getInteger("maxAttempts")).put("crawlerId", null)
              .put("at", at).put("reason", "enqueued").put("nodeId", nodeId));
        }
      }
      return new JsonObject().put("jobs", out).put("created", created);
    });
  }

  private Future<JsonObject> get(JsonObject body) {
    String id = requiredId(body, "id");
    return jobs.get(id).compose(row -> {
      if (row == null) {
        return Future.failedFuture(JobStoreException.notFound(id));
      }
      return jobs.events(id).map(events -> new JsonObject().put("job", JobRepository.job(row)).put("events", events));
    });
  }

  private Future<JsonObject> list(JsonObject body) {
    JsonObject q = body == null ? new JsonObject() : body;
    List<String> statuses = null;
    Object status = q.getValue("status");
    if (status instanceof String s && !s.isBlank()) {
      statuses = Arrays.stream(s.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    } else if (status instanceof JsonArray a) {
      statuses = a.stream().map(String::valueOf).toList();
    }
    if (statuses != null) {
      for (String s : statuses) {
        if (!STATUSES.contains(s)) {
          throw new IllegalArgumentException("status: unknown status '" + s + "'");
        }
      }
    }
    int limit = 50;
    Object l = q.getValue("limit");
    if (l instanceof Number n) {
      limit = n.intValue();
    } else if (l instanceof String s && !s.isBlank()) {
      try {
        limit = Integer.parseInt(s.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("limit: must be an integer 1..500");
      }
    }
    if (limit < 1) {
      throw new IllegalArgumentException("limit: must be an integer 1..500");
    }
    limit = Math.min(limit, 500);
    String cursor = q.getValue("cursor") instanceof String s && !s.isBlank() ? s : null;
    if (cursor != null) {
      JobRepository.decodeCursor(cursor);
    }
    return jobs.list(statuses, q.getString("crawlerId"), q.getString("spawnedFrom"), limit, cursor);
  }

  private Future<JsonObject> cancel(JsonObject body) {
    String id = requiredId(body, "id");
    return apiTransition(id, row -> {
      String status = row.getString("status");
      if (TERMINAL.contains(status)) {
        throw JobStoreException.illegal(id, status, "cancel");
      }
      return new Move("cancelled", row.getInteger("attempt"), row.getInteger("max_attempts"), null, "cancelled", null);
    });
  }

  private Future<JsonObject> retry(JsonObject body) {
    String id = requiredId(body, "id");
    return apiTransition(id, row -> {
      String status = row.getString("status");
      if (!Set.of("failed", "dead", "cancelled").contains(status)) {
        throw JobStoreException.illegal(id, status, "retry");
      }
      int attempt = row.getInteger("attempt") + 1;
      // A manual retry grants a fresh allowance of retries from here.
      int max = Math.max(row.getInteger("max_attempts"), attempt + cfg.retryAttempts());
      return new Move("queued", attempt, max, null, "api_retry", null);
    });
  }

  private Future<JsonObject> assign(JsonObject body) {
    String id = requiredId(body, "jobId");
    String crawlerId = requiredId(body, "crawlerId");
    return apiTransition(id, row -> {
      String status = row.getString("status");
      if (!"queued".equals(status)) {
        throw JobStoreException.illegal(id, status, "assign it to " + crawlerId);
      }
      return new Move("assigned", row.getInteger("attempt"), row.getInteger("max_attempts"), crawlerId,
          "job_assignment", null);
    });
  }

  private Future<JsonObject> applyRetryPolicy(JsonObject body) {
    String id = requiredId(body, "jobId");
    Object attemptValue = body.getValue("attempt");
    String action = body.getString("action");
    if (!(attemptValue instanceof Number) || !("retry".equals(action) || "dead".equals(action))) {
      throw new IllegalArgumentException("attempt: required integer; action: required, retry or dead");
    }
    int attempt = ((Number) attemptValue).intValue();
    long delay = body.getValue("delayMs") instanceof Number n ? Math.max(0, n.longValue()) : 0;
    return pool.withTransaction(conn -> jobs.lockJob(conn, id).compose(row -> {
      String status = row.getString("status");
      int current = row.getInteger("attempt");
      int max = row.getInteger("max_attempts");
      if (!"failed".equals(status) || current != attempt) {
        throw JobStoreException.illegal(id, status + " at attempt " + current,
            "apply a retry decision for attempt " + attempt);
      }
      if ("retry".equals(action) && current < max) {
        return jobs.setNotBefore(conn, id, delay).map(r -> new Applied(r, null));
      }
      JsonObject details = new JsonObject().put("decision", action).put("outOfAttempts", current >= max);
      return jobs.apiTransition(conn, row, "dead", current, max, null, 0, "retry_policy", nodeId, details)
          .map(r -> new Applied(r, new Move("dead", current, max, row.getString("lease_owner"), "retry_policy", details)));
    })).map(a -> {
      JsonObject job = JobRepository.job(a.row());
      if (a.move() != null) {
        afterApiMove(job, "failed", a.move());
      }
      return new JsonObject().put("job", job);
    });
  }

  private record Move(String to, int attempt, int maxAttempts, String crawlerId, String reason, JsonObject details) {}

  private record Applied(Row row, Move move) {}

  private Future<JsonObject> apiTransition(String id, java.util.function.Function<Row, Move> decide) {
    long leaseMs = cfg.heartbeatTimeout() + cfg.leaseGrace();
    String[] from = new String[1];
    return pool.withTransaction(conn -> jobs.lockJob(conn, id).compose(row -> {
      Move m = decide.apply(row);
      from[0] = row.getString("status");
      return jobs.apiTransition(conn, row, m.to(), m.attempt(), m.maxAttempts(), m.crawlerId(), leaseMs,
          m.reason(), nodeId, m.details()).map(r -> new Applied(r, m));
    })).map(a -> {
      JsonObject job = JobRepository.job(a.row());
      afterApiMove(job, from[0], a.move());
      return new JsonObject().put("job", job);
    });
  }

  private void afterApiMove(JsonObject job, String from, Move m) {
    moved.accept(new Moved(job, from, m.to(), m.attempt(), m.maxAttempts(),
        m.crawlerId() != null ? m.crawlerId() : job.getString("leaseOwner"), m.reason(), m.details()));
  }

  private Future<JsonObject> stats() {
    return jobs.stats().map(m -> {
      JsonObject o = new JsonObject();
      long total = 0;
      for (String s : STATUSES) {
        long n = m.getOrDefault(s, 0L);
        o.put(s, n);
        total += n;
      }
      o.put("total", total);
      counted.accept(o);
      return o;
    });
  }

}
