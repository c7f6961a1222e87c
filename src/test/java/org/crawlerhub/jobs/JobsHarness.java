package org.crawlerhub.jobs;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.persistence.Database;

/**
 * Deploys a {@link JobsVerticle} on a real PostgreSQL and drives it over the event bus exactly as
 * the router, gateway and HTTP API do (same addresses, same headers). Records hub.job.events.
 */
final class JobsHarness implements AutoCloseable {
  static final String NODE = "node-test";
  private static final long WAIT = 30;

  final Vertx vertx;
  final HubConfig cfg;
  final Pool pool;
  final List<JsonObject> jobEvents = new CopyOnWriteArrayList<>();
  private final String deployment;

  private JobsHarness(Vertx vertx, HubConfig cfg) {
    this.vertx = vertx;
    this.cfg = cfg;
    get(vertx.eventBus().<JsonObject>consumer(Addresses.JOB_EVENTS, m -> jobEvents.add(m.body())).completion());
    this.deployment = get(vertx.deployVerticle(new JobsVerticle(cfg)));
    this.pool = Database.pool(vertx, cfg.database().url(), 2);
  }

  /** Test defaults: short intervals so leases and flushes happen within a test. */
  static JsonObject baseConfig(String url) {
    return new JsonObject()
        .put("nodeId", NODE)
        .put("profile", "test")
        .put("database", new JsonObject().put("url", url).put("poolSize", 4))
        .put("heartbeatInterval", 1000)
        .put("heartbeatTimeout", 3000)
        .put("leaseGrace", 1000)
        .put("leaseCheckInterval", 100)
        .put("progressFlushInterval", 100)
        .put("retryAttempts", 2);
  }

  static JobsHarness start(JsonObject config) {
    Vertx vertx = Vertx.vertx(new VertxOptions().setMaxEventLoopExecuteTime(TimeUnit.MILLISECONDS.toNanos(500)).setWarningExceptionTime(TimeUnit.MILLISECONDS.toNanos(500)));
    return new JobsHarness(vertx, HubConfig.fromJson(config));
  }

  // ------------------------------------------------------------------ as the router does

  static JsonObject envelope(String type, String jobId, JsonObject data) {
    JsonObject env = new JsonObject().put("type", type).put("timestamp", Instant.now().toString()).put("data", data);
    if (jobId != null) {
      env.put("jobId", jobId);
    }
    return env;
  }

  /** Sends one crawler message to hub.jobs.command with the router's headers; the reply body. */
  Future<JsonObject> sendCommand(String crawlerId, JsonObject envelope) {
    DeliveryOptions opts = new DeliveryOptions()
        .addHeader("connectionId", "conn-" + crawlerId)
        .addHeader("crawlerId", crawlerId)
        .addHeader("nodeId", NODE)
        .addHeader("transport", "unix")
        .setSendTimeout(60_000);
    return vertx.eventBus().<JsonObject>request(Addresses.JOBS_COMMAND, envelope, opts).map(m -> m.body());
  }

  JsonObject command(String crawlerId, String type, String jobId, JsonObject data) {
    return get(sendCommand(crawlerId, envelope(type, jobId, data)));
  }

  /** job_request; the job_response's jobs. */
  JsonArray request(String crawlerId, int maxJobs) {
    JsonObject reply = command(crawlerId, "job_request", null, new JsonObject().put("maxJobs", maxJobs));
    JsonObject frame = reply.getJsonArray("frames").getJsonObject(0);
    return frame.getJsonObject("data").getJsonArray("jobs");
  }

  static JsonObject progress(long processed, long total) {
    return new JsonObject().put("stage", "fetching").put("entityType", "issue").put("processed", processed)
        .put("total", total);
  }

  static String errorCode(JsonObject reply) {
    return reply.containsKey("error") ? reply.getJsonObject("error").getString("code") : null;
  }

  void crawlerEvent(String event, String crawlerId) {
    crawlerEvent(event, crawlerId, "conn-" + crawlerId);
  }

  void crawlerEvent(String event, String crawlerId, String connectionId) {
    crawlerEvent(event, crawlerId, connectionId, NODE);
  }

  /** A connection event as the gateway of node {@code nodeId} publishes it (another node's: remote). */
  void crawlerEvent(String event, String crawlerId, String connectionId, String nodeId) {
    vertx.eventBus().publish(Addresses.CRAWLER_EVENTS, new JsonObject().put("event", event)
        .put("connectionId", connectionId).put("crawlerId", crawlerId).put("nodeId", nodeId)
        .put("transport", "unix").put("at", Instant.now().toString()));
  }

  // ------------------------------------------------------------------ as the HTTP API does

  JsonObject api(String address, JsonObject body) {
    return get(vertx.eventBus().<JsonObject>request(address, body)).body();
  }

  static JsonObject spec(String entityId, int priority) {
    return new JsonObject().put("entityType", "project").put("entityId", entityId)
        .put("gitlabUrl", "https://gitlab.example.com").put("accessToken", "glpat-secret-" + entityId)
        .put("priority", priority);
  }

  /** Enqueues jobs over hub.jobs.enqueue; their ids in order. */
  List<String> enqueue(JsonObject... specs) {
    JsonObject reply = api(Addresses.JOBS_ENQUEUE, new JsonObject().put("jobs", new JsonArray(List.of((Object[]) specs))));
    List<String> ids = new ArrayList<>();
    reply.getJsonArray("jobs").forEach(j -> ids.add(((JsonObject) j).getString("id")));
    return ids;
  }

  // ------------------------------------------------------------------ assertions on rows

  List<Row> rows(String sql, Object... args) {
    List<Row> out = new ArrayList<>();
    get(pool.preparedQuery(sql).execute(Tuple.wrap(args))).forEach(out::add);
    return out;
  }

  Row job(String id) {
    return rows("SELECT * FROM jobs WHERE id = $1", id).get(0);
  }

  List<String> eventsOf(String id) {
    List<String> out = new ArrayList<>();
    rows("SELECT from_status, to_status, attempt FROM job_events WHERE job_id = $1 ORDER BY id", id)
        .forEach(r -> out.add(r.getString(0) + "->" + r.getString(1) + "@" + r.getInteger(2)));
    return out;
  }

  List<JsonObject> busEvents(String jobId) {
    return jobEvents.stream().filter(e -> jobId.equals(e.getString("jobId"))).toList();
  }

  /** Waits for {@code f}; a failure is rethrown as is (e.g. a ReplyException). */
  static <T> T get(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(WAIT, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    try {
      get(vertx.undeploy(deployment));
    } catch (Exception ignored) {
      // closing Vert.x below releases everything anyway
    }
    get(vertx.close());
  }
}
