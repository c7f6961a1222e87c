package org.crawlerhub.api;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.ext.healthchecks.Status;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.micrometer.backends.BackendRegistries;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.protocol.ErrorCategory;
import org.crawlerhub.protocol.MessageValidator;
import org.crawlerhub.protocol.Severity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator surface (SPEC §5): REST API, the {@code /api/events} SSE stream, the dashboard,
 * {@code /health}, {@code /ready} and {@code /metrics}. It owns no state of the hub: every answer
 * comes from a service over the event bus (ARCHITECTURE.md), and bus failures map to HTTP
 * statuses in one place ({@link ApiException#from}).
 */
public class HttpVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(HttpVerticle.class);

  static final long BUS_TIMEOUT_MS = 10_000;
  /** How long a fleet-wide answer waits for another node before leaving it out. */
  static final long PEER_TIMEOUT_MS = 2_000;
  static final long ENQUEUE_TIMEOUT_MS = 60_000;
  static final long READY_TIMEOUT_MS = 2_000;
  static final Set<String> JOB_STATUSES = Set.of("queued", "assigned", "running", "completed", "failed",
      "cancelled", "dead");

  private final HubConfig cfg;
  private final SseSettings sseSettings;
  private final AdminAuth auth;
  private final long startedAt = System.currentTimeMillis();
  private EventStream events;
  private HttpServer server;

  public HttpVerticle(HubConfig cfg) {
    this(cfg, SseSettings.defaults());
  }

  public HttpVerticle(HubConfig cfg, SseSettings sseSettings) {
    this.cfg = cfg;
    this.sseSettings = sseSettings;
    this.auth = new AdminAuth(cfg.http().adminToken(), Clock.systemUTC());
  }

  /** The bound port (useful with port 0), or -1 before start. */
  public int actualPort() {
    return server == null ? -1 : server.actualPort();
  }

  @Override
  public Future<?> start() {
    if (auth.open() && !loopback(cfg.http().host())) {
      // The config validator reports this too; refusing here keeps an open API off the network.
      return Future.failedFuture(new IllegalStateException("http.host " + cfg.http().host()
          + " is not a loopback address: set http.adminToken (HUB_ADMIN_TOKEN)"));
    }
    events = new EventStream(vertx, sseSettings);
    Router router = router();
    HttpServerOptions options = new HttpServerOptions()
        .setHost(cfg.http().host())
        .setPort(cfg.http().port())
        .setIdleTimeout(0);
    return events.start()
        .compose(v -> vertx.createHttpServer(options).requestHandler(router).listen())
        .onSuccess(s -> {
          server = s;
          LOG.info("HTTP API and dashboard on http://{}:{}/ (admin token {})", cfg.http().host(),
              s.actualPort(), auth.open() ? "not required" : "required");
        });
  }

  @Override
  public Future<?> stop() {
    if (events != null) {
      events.stop();
    }
    return server == null ? Future.succeededFuture() : server.close();
  }

  static boolean loopback(String host) {
    String h = host == null ? "" : host.trim().toLowerCase(Locale.ROOT);
    return h.equals("localhost") || h.startsWith("127.") || h.equals("::1") || h.equals("[::1]");
  }

  // ------------------------------------------------------------------------------------------
  // Routing

  private Router router() {
    Router router = Router.router(vertx);
    router.route().handler(ctx -> {
      ctx.response()
          .putHeader("X-Content-Type-Options", "nosniff")
          .putHeader("Referrer-Policy", "no-referrer")
          .putHeader("X-Frame-Options", "DENY");
      ctx.next();
    });

    router.get("/health").handler(liveness());
    router.get("/ready").handler(readiness());
    router.get("/metrics").handler(metrics());

    router.post("/api/session").handler(BodyHandler.create(false).setBodyLimit(4096)).handler(this::openSession);
    router.delete("/api/session").handler(this::closeSession);
    router.route("/api/*").handler(this::authenticate);
    router.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(cfg.http().maxBodySize()));

    router.get("/api/status").handler(ctx -> reply(ctx, 200, ask(Addresses.STATUS, new JsonObject(),
        "status service", BUS_TIMEOUT_MS)));
    router.get("/api/connections").handler(ctx -> reply(ctx, 200, ask(Addresses.CONNECTIONS,
        new JsonObject(), "status service", BUS_TIMEOUT_MS)));
    router.get("/api/crawlers").handler(this::listCrawlers);
    router.get("/api/crawlers/:crawlerId").handler(this::getCrawler);
    router.post("/api/crawlers/:crawlerId/messages").handler(this::sendToCrawler);
    router.post("/api/broadcast").handler(this::broadcast);

    router.post("/api/jobs").handler(this::enqueueJobs);
    router.get("/api/jobs").handler(this::listJobs);
    router.get("/api/jobs/:id").handler(this::getJob);
    router.post("/api/jobs/:id/cancel").handler(ctx -> jobCommand(ctx, Addresses.JOBS_CANCEL));
    router.post("/api/jobs/:id/retry").handler(ctx -> jobCommand(ctx, Addresses.JOBS_RETRY));

    router.get("/api/progress").handler(ctx -> reply(ctx, 200, ask(Addresses.PROGRESS_GET, new JsonObject(),
        "progress service", BUS_TIMEOUT_MS)));
    router.get("/api/progress/:jobId").handler(this::getProgress);
    router.get("/api/errors").handler(this::queryErrors);
    router.get("/api/events").handler(ctx -> events.open(ctx.request()));

    router.route("/api/*").handler(ctx -> {
      throw new ApiException(404, "NOT_FOUND", "no such endpoint: " + ctx.request().method() + " "
          + ctx.request().path());
    });

    router.route("/*").handler(ctx -> {
      ctx.response().putHeader("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; "
          + "style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'");
      ctx.next();
    });
    router.route("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false)
        .setIndexPage("index.html"));

    router.route().failureHandler(this::failure);
    return router;
  }

  private void failure(RoutingContext ctx) {
    Throwable t = ctx.failure();
    ApiException e;
    if (t != null) {
      e = ApiException.from(t, "hub");
    } else {
      int status = ctx.statusCode();
      e = switch (status) {
        case 413 -> new ApiException(413, "PAYLOAD_TOO_LARGE", "request body exceeds "
            + cfg.http().maxBodySize() + " bytes");
        case 404 -> new ApiException(404, "NOT_FOUND", "not found: " + ctx.request().path());
        case 405 -> new ApiException(405, "METHOD_NOT_ALLOWED", ctx.request().method() + " is not allowed on "
            + ctx.request().path());
        case 401 -> unauthenticated();
        default -> new ApiException(status > 0 ? status : 500, status >= 500 || status <= 0 ? "INTERNAL"
            : "BAD_REQUEST", "request failed");
      };
    }
    sendError(ctx, e, t);
  }

  private void sendError(RoutingContext ctx, ApiException e, Throwable cause) {
    if (e.status() >= 500 && !"UNAVAILABLE".equals(e.code()) && !"TIMEOUT".equals(e.code())) {
      LOG.error("{} {} failed", ctx.request().method(), ctx.request().path(), cause);
    }
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    if (ctx.response().headWritten()) {
      ctx.request().connection().close();
      return;
    }
    if (e.status() == 401) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"crawler-hub\"");
    }
    json(ctx, e.status(), e.toJson());
  }

  // ------------------------------------------------------------------------------------------
  // Health, readiness, metrics

  private Handler<RoutingContext> liveness() {
    return HealthCheckHandler.create(vertx).register("http", p -> p.complete(Status.OK(new JsonObject()
        .put("nodeId", cfg.nodeId()).put("uptimeMs", System.currentTimeMillis() - startedAt))));
  }

  /** DB reachable (the jobs service answers its stats), listeners bound, cluster joined. */
  private Handler<RoutingContext> readiness() {
    HealthCheckHandler h = HealthCheckHandler.create(vertx);
    h.register("database", READY_TIMEOUT_MS + 500, p -> {
      long t0 = System.nanoTime();
      askLocal(Addresses.JOBS_STATS, "jobs service")
          .onSuccess(r -> p.complete(Status.OK(new JsonObject()
              .put("latencyMs", (System.nanoTime() - t0) / 1_000_000))))
          .onFailure(t -> p.complete(Status.KO(new JsonObject().put("error", t.getMessage()))));
    });
    h.register("listeners", READY_TIMEOUT_MS + 500, p ->
        askLocal(Addresses.STATUS, "status service")
            .onSuccess(s -> {
              Object listeners = s.getValue("listeners");
              boolean bound = listeners instanceof JsonArray a ? !a.isEmpty()
                  : listeners instanceof JsonObject o && !o.isEmpty();
              JsonObject data = new JsonObject().put("listeners", listeners);
              p.complete(bound ? Status.OK(data) : Status.KO(data.put("error", "no crawler listener is bound")));
            })
            .onFailure(t -> p.complete(Status.KO(new JsonObject().put("error", t.getMessage())))));
    h.register("cluster", READY_TIMEOUT_MS, p -> {
      if (!vertx.isClustered()) {
        p.complete(Status.OK(new JsonObject().put("clustered", false)));
        return;
      }
      ClusterManager cm = ((VertxInternal) vertx).clusterManager();
      JsonObject data = new JsonObject().put("clustered", true);
      if (cm != null && cm.isActive()) {
        p.complete(Status.OK(data.put("nodeId", cm.getNodeId()).put("members", cm.getNodes().size())));
      } else {
        p.complete(Status.KO(data.put("error", "not joined to the cluster")));
      }
    });
    return h;
  }

  private Handler<RoutingContext> metrics() {
    MeterRegistry registry = BackendRegistries.getDefaultNow();
    if (registry instanceof PrometheusMeterRegistry prometheus) {
      return PrometheusScrapingHandler.create(prometheus);
    }
    return ctx -> json(ctx, 503, new JsonObject().put("error", "METRICS_DISABLED").put("message",
        "Prometheus metrics are not enabled in this hub's VertxOptions"));
  }

  // ------------------------------------------------------------------------------------------
  // Authentication

  private void authenticate(RoutingContext ctx) {
    if (auth.authorised(ctx.request())) {
      ctx.next();
    } else {
      sendError(ctx, unauthenticated(), null);
    }
  }

  private static ApiException unauthenticated() {
    return new ApiException(401, "UNAUTHENTICATED", "a valid admin token is required "
        + "(Authorization: Bearer <token>, or a session from POST /api/session)");
  }

  private void openSession(RoutingContext ctx) {
    if (auth.open()) {
      json(ctx, 200, new JsonObject().put("authenticated", true).put("required", false));
      return;
    }
    Object body = bodyValue(ctx);
    String token = body instanceof JsonObject o && o.getValue("token") instanceof String s ? s : null;
    if (token == null) {
      throw ApiException.badRequest("token: required string");
    }
    if (!auth.tokenMatches(token)) {
      sendError(ctx, new ApiException(401, "UNAUTHENTICATED", "token: not the admin token"), null);
      return;
    }
    ctx.response().addCookie(auth.sessionCookie(ctx.request().isSSL()));
    json(ctx, 200, new JsonObject().put("authenticated", true).put("expiresInSeconds", AdminAuth.SESSION_SECONDS));
  }

  private void closeSession(RoutingContext ctx) {
    ctx.response().addCookie(AdminAuth.expiredCookie());
    ctx.response().setStatusCode(204).end();
  }

  // ------------------------------------------------------------------------------------------
  // Crawlers

  private void listCrawlers(RoutingContext ctx) {
    Future<JsonArray> conns = fleetConnections(new JsonObject());
    Future<JsonObject> prog = optional(ask(Addresses.PROGRESS_GET, new JsonObject().put("crawlers", true),
        "progress service", BUS_TIMEOUT_MS));
    reply(ctx, 200, Future.all(conns, prog).map(v -> {
      JsonArray out = new JsonArray();
      // indexed once: a lookup per connection in the list was quadratic (10,000 crawlers: 37 s on this event loop)
      Map<String, JsonObject> progress = new HashMap<>();
      if (prog.result() != null && prog.result().getValue("crawlers") instanceof JsonArray list) {
        for (Object o : list) {
          if (o instanceof JsonObject p && p.getValue("crawlerId") instanceof String id) {
            progress.putIfAbsent(id, p);
          }
        }
      }
      for (Object o : conns.result()) {
        if (o instanceof JsonObject c) {
          String id = c.getValue("crawlerId") instanceof String s ? s : null;
          out.add(c.copy().put("connected", true).put("progress", id == null ? null : progress.get(id)));
        }
      }
      return new JsonObject().put("crawlers", out);
    }));
  }

  private void getCrawler(RoutingContext ctx) {
    String id = ctx.pathParam("crawlerId");
    Future<JsonArray> conns = fleetConnections(new JsonObject().put("crawlerId", id));
    Future<JsonObject> prog = optional(ask(Addresses.PROGRESS_GET, new JsonObject().put("crawlers", true),
        "progress service", BUS_TIMEOUT_MS));
    Future<JsonObject> jobs = optional(ask(Addresses.JOBS_LIST, new JsonObject().put("crawlerId", id)
        .put("limit", 20), "jobs service", BUS_TIMEOUT_MS));
    reply(ctx, 200, Future.all(conns, prog, jobs).map(v -> {
      JsonObject connection = find(conns.result(), id);
      JsonObject progress = prog.result() == null ? null
          : find(prog.result().getJsonArray("crawlers", new JsonArray()), id);
      if (connection == null && progress == null) {
        throw new ApiException(404, "NOT_FOUND", "crawler " + id + " is not connected");
      }
      return new JsonObject().put("crawlerId", id).put("connected", connection != null)
          .put("connection", connection).put("progress", progress)
          .put("jobs", jobs.result() == null ? new JsonArray() : jobs.result().getJsonArray("jobs", new JsonArray()));
    }));
  }

  /**
   * The connection entries of the whole fleet, each with its {@code nodeId}: this node's, and when
   * clustered those of every other node its status lists (asked on {@code hub.connections.<nodeId>};
   * a node that does not answer in time is left out). {@code query} as for {@code hub.connections}.
   */
  private Future<JsonArray> fleetConnections(JsonObject query) {
    Future<JsonArray> own = ask(Addresses.CONNECTIONS, query, "status service", BUS_TIMEOUT_MS)
        .map(stats -> tagged(stats, cfg.nodeId()));
    if (!vertx.isClustered()) {
      return own;
    }
    return ask(Addresses.STATUS, new JsonObject(), "status service", BUS_TIMEOUT_MS).compose(status -> {
      List<Future<JsonArray>> parts = new ArrayList<>();
      parts.add(own);
      JsonObject cluster = status.getJsonObject("cluster");
      for (Object o : cluster == null ? new JsonArray() : cluster.getJsonArray("nodes", new JsonArray())) {
        if (o instanceof JsonObject n && n.getValue("nodeId") instanceof String node && !node.equals(cfg.nodeId())) {
          parts.add(vertx.eventBus().<Object>request(Addresses.connections(node), query,
                  new DeliveryOptions().setSendTimeout(PEER_TIMEOUT_MS))
              .map(m -> tagged(jsonBody(m), node))
              .otherwise(err -> new JsonArray()));
        }
      }
      return Future.all(parts).map(all -> {
        JsonArray out = new JsonArray();
        for (Future<JsonArray> f : parts) {
          out.addAll(f.result());
        }
        return out;
      });
    });
  }

  private static JsonArray tagged(JsonObject stats, String nodeId) {
    JsonArray out = new JsonArray();
    for (Object o : connectionEntries(stats)) {
      if (o instanceof JsonObject c) {
        out.add(c.put("nodeId", nodeId));
      }
    }
    return out;
  }

  private static JsonArray connectionEntries(JsonObject stats) {
    Object list = stats.getValue("crawlers", stats.getValue("connections"));
    return list instanceof JsonArray a ? a : new JsonArray();
  }

  private static JsonObject find(JsonArray list, String crawlerId) {
    for (Object o : list) {
      if (o instanceof JsonObject j && crawlerId != null && crawlerId.equals(j.getString("crawlerId"))) {
        return j;
      }
    }
    return null;
  }

  private void sendToCrawler(RoutingContext ctx) {
    String id = ctx.pathParam("crawlerId");
    JsonObject msg = outboundMessage(ctx);
    Future<JsonObject> sent = vertx.eventBus().<Object>request(Addresses.outbound(id), msg,
            new DeliveryOptions().setSendTimeout(BUS_TIMEOUT_MS))
        .recover(t -> {
          if (t instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
            return Future.failedFuture(new ApiException(404, "NOT_CONNECTED", "crawler " + id
                + " is not connected to any hub node"));
          }
          return Future.failedFuture(ApiException.from(t, "crawler " + id));
        })
        .map(m -> {
          boolean delivered = !(m.body() instanceof JsonObject o) || o.getBoolean("delivered", true);
          return new JsonObject().put("delivered", delivered);
        });
    reply(ctx, 202, sent);
  }

  private void broadcast(RoutingContext ctx) {
    JsonObject msg = outboundMessage(ctx);
    if ("job_assignment".equals(msg.getString("type"))) {
      // The gateway drops a broadcast assignment (a job goes to one crawler): say so instead of 202.
      throw ApiException.badRequest("type: job_assignment cannot be broadcast; send it to one crawler");
    }
    // Recipients are the crawlers a broadcast reaches: open, authenticated connections (ServerStatus
    // activeConnections), not ConnectionStats.total, which also counts unauthenticated TCP sockets.
    reply(ctx, 202, ask(Addresses.STATUS, new JsonObject(), "status service", BUS_TIMEOUT_MS).map(status -> {
      vertx.eventBus().publish(Addresses.CRAWLER_BROADCAST, msg);
      // the broadcast reaches every node's crawlers: count the cluster's when there is one
      JsonObject counted = status.getJsonObject("cluster") != null ? status.getJsonObject("cluster") : status;
      Integer active = counted.getInteger("activeConnections");
      return new JsonObject().put("recipients", active != null ? active : counted.getInteger("connections", 0));
    }));
  }

  /** A hub->crawler envelope from the body: timestamp and defaults filled in, then the protocol's own checks. */
  private JsonObject outboundMessage(RoutingContext ctx) {
    if (!(bodyValue(ctx) instanceof JsonObject msg)) {
      throw ApiException.badRequest("body: a hub->crawler message object {type, data, jobId?} is required");
    }
    if (msg.getValue("timestamp") != null && !(msg.getValue("timestamp") instanceof String)) {
      throw ApiException.badRequest("timestamp: must be an ISO-8601 string");
    }
    if (msg.containsKey("jobId") && !(msg.getValue("jobId") instanceof String)) {
      throw ApiException.badRequest("jobId: must be a string");
    }
    return MessageValidator.prepareOutbound(msg);
  }

  // ------------------------------------------------------------------------------------------
  // Jobs

  private void enqueueJobs(RoutingContext ctx) {
    Object body = bodyValue(ctx);
    JsonArray specs = JobSpecs.validate(body);
    boolean single = body instanceof JsonObject;
    ask(Addresses.JOBS_ENQUEUE, new JsonObject().put("jobs", specs), "jobs service", ENQUEUE_TIMEOUT_MS)
        .onFailure(t -> sendError(ctx, ApiException.from(t, "jobs service"), t))
        .onSuccess(r -> {
          JsonArray jobs = r.getJsonArray("jobs", new JsonArray());
          JsonArray created = r.getJsonArray("created", new JsonArray());
          boolean anyCreated = created.stream().anyMatch(Boolean.TRUE::equals);
          if (!single) {
            json(ctx, anyCreated ? 201 : 200, new JsonObject().put("jobs", jobs).put("created", created));
            return;
          }
          JsonObject job = jobs.isEmpty() ? new JsonObject() : jobs.getJsonObject(0);
          if (anyCreated) {
            ctx.response().putHeader("Location", "/api/jobs/" + URLEncoder.encode(
                job.getString("id", ""), StandardCharsets.UTF_8).replace("+", "%20"));
          }
          json(ctx, anyCreated ? 201 : 200, job);
        });
  }

  private void listJobs(RoutingContext ctx) {
    JsonObject q = new JsonObject();
    String status = ctx.request().getParam("status");
    if (status != null && !status.isBlank()) {
      if (!JOB_STATUSES.contains(status)) {
        throw ApiException.badRequest("status: must be one of " + String.join(", ", new java.util.TreeSet<>(JOB_STATUSES)));
      }
      q.put("status", status);
    }
    copyParam(ctx, q, "crawlerId");
    copyParam(ctx, q, "spawnedFrom");
    copyParam(ctx, q, "cursor");
    q.put("limit", intParam(ctx, "limit", 50, 1, 500));
    reply(ctx, 200, ask(Addresses.JOBS_LIST, q, "jobs service", BUS_TIMEOUT_MS).map(r -> new JsonObject()
        .put("jobs", r.getJsonArray("jobs", new JsonArray())).put("nextCursor", r.getValue("nextCursor"))));
  }

  private void getJob(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    Future<JsonObject> job = ask(Addresses.JOBS_GET, new JsonObject().put("id", id), "jobs service", BUS_TIMEOUT_MS);
    Future<JsonObject> progress = optional(ask(Addresses.PROGRESS_GET, new JsonObject().put("jobId", id),
        "progress service", BUS_TIMEOUT_MS));
    reply(ctx, 200, Future.all(job, progress).map(v -> {
      JsonObject j = job.result().getJsonObject("job", new JsonObject());
      JsonObject live = progress.result();
      return new JsonObject().put("job", j)
          .put("progress", live != null ? live : StoredProgress.of(j))
          .put("events", job.result().getJsonArray("events", new JsonArray()));
    }));
  }

  /**
   * The aggregator's view (current as soon as the router accepted a message); for a job it no
   * longer holds (finished a while ago) the stored progress in the same shape.
   */
  private void getProgress(RoutingContext ctx) {
    String id = ctx.pathParam("jobId");
    reply(ctx, 200, ask(Addresses.PROGRESS_GET, new JsonObject().put("jobId", id), "progress service", BUS_TIMEOUT_MS)
        .recover(t -> {
          ApiException e = ApiException.from(t, "progress service");
          if (e.status() != 404) {
            return Future.failedFuture(e);
          }
          return ask(Addresses.JOBS_GET, new JsonObject().put("id", id), "jobs service", BUS_TIMEOUT_MS).map(r -> {
            JsonObject stored = StoredProgress.of(r.getJsonObject("job", new JsonObject()));
            if (stored == null) {
              throw new ApiException(404, "NOT_FOUND", "job " + id + " has reported no progress yet");
            }
            return stored;
          });
        }));
  }

  private void jobCommand(RoutingContext ctx, String address) {
    reply(ctx, 200, ask(address, new JsonObject().put("id", ctx.pathParam("id")), "jobs service", BUS_TIMEOUT_MS)
        .map(r -> r.getJsonObject("job", r)));
  }

  // ------------------------------------------------------------------------------------------
  // Errors

  private void queryErrors(RoutingContext ctx) {
    JsonObject q = new JsonObject();
    String category = ctx.request().getParam("category");
    if (category != null && !category.isBlank()) {
      try {
        q.put("category", ErrorCategory.fromWire(category).wire());
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("category: must be one of " + wires(ErrorCategory.values()));
      }
    }
    String severity = ctx.request().getParam("severity");
    if (severity != null && !severity.isBlank()) {
      try {
        q.put("severity", Severity.fromWire(severity).wire());
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("severity: must be one of " + wires(Severity.values()));
      }
    }
    String since = ctx.request().getParam("since");
    if (since != null && !since.isBlank()) {
      q.put("since", parseInstant(since).toString());
    }
    copyParam(ctx, q, "crawlerId");
    copyParam(ctx, q, "jobId");
    q.put("limit", intParam(ctx, "limit", 100, 1, 1000));
    reply(ctx, 200, ask(Addresses.ERRORS_QUERY, q, "error manager", BUS_TIMEOUT_MS));
  }

  /** ISO-8601 instant or epoch milliseconds. */
  static Instant parseInstant(String s) {
    try {
      return s.chars().allMatch(Character::isDigit) ? Instant.ofEpochMilli(Long.parseLong(s)) : Instant.parse(s);
    } catch (DateTimeParseException | NumberFormatException e) {
      throw ApiException.badRequest("since: must be an ISO-8601 instant (2025-07-30T10:15:00Z) or epoch milliseconds");
    }
  }

  private static String wires(Enum<?>[] values) {
    StringBuilder sb = new StringBuilder();
    for (Enum<?> v : values) {
      sb.append(sb.isEmpty() ? "" : ", ").append(v.name().toLowerCase(Locale.ROOT));
    }
    return sb.toString();
  }

  // ------------------------------------------------------------------------------------------
  // Helpers

  /** Request/reply on the bus; failures become {@link ApiException}s. */
  private Future<JsonObject> ask(String address, JsonObject body, String service, long timeoutMs) {
    // Status and connections describe one node: in a cluster ask this node's service, not any node's.
    boolean nodeLocal = Addresses.STATUS.equals(address) || Addresses.CONNECTIONS.equals(address);
    return vertx.eventBus().<Object>request(address, body,
            new DeliveryOptions().setSendTimeout(timeoutMs).setLocalOnly(nodeLocal))
        .recover(t -> Future.failedFuture(ApiException.from(t, service)))
        .map(HttpVerticle::jsonBody);
  }

  private static JsonObject jsonBody(Message<Object> m) {
    return m.body() instanceof JsonObject o ? o : new JsonObject();
  }

  /** Readiness is about this node: its own jobs service (and database) and its own listeners. */
  private Future<JsonObject> askLocal(String address, String service) {
    return vertx.eventBus().<Object>request(address, new JsonObject(), new DeliveryOptions()
            .setSendTimeout(READY_TIMEOUT_MS).setLocalOnly(true))
        .recover(t -> Future.failedFuture(ApiException.from(t, service)))
        .map(HttpVerticle::jsonBody);
  }

  /** An auxiliary answer: null when the service has nothing (404) or is not there. */
  private static Future<JsonObject> optional(Future<JsonObject> f) {
    return f.otherwise(t -> null);
  }

  private void reply(RoutingContext ctx, int status, Future<JsonObject> f) {
    f.onComplete(ar -> {
      if (ar.succeeded()) {
        json(ctx, status, ar.result());
      } else {
        sendError(ctx, ApiException.from(ar.cause(), "hub"), ar.cause());
      }
    });
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended() || ctx.response().closed()) {
      return;
    }
    ctx.response().setStatusCode(status)
        .putHeader("Content-Type", "application/json; charset=utf-8")
        .putHeader("Cache-Control", "no-store")
        .end(body == null ? "null" : body.encode());
  }

  private static Object bodyValue(RoutingContext ctx) {
    Buffer b = ctx.body() == null ? null : ctx.body().buffer();
    if (b == null || b.length() == 0) {
      return null;
    }
    try {
      return Json.decodeValue(b);
    } catch (DecodeException e) {
      throw new ApiException(400, "INVALID_JSON", "body: not valid JSON");
    }
  }

  private static void copyParam(RoutingContext ctx, JsonObject q, String name) {
    String v = ctx.request().getParam(name);
    if (v != null && !v.isBlank()) {
      q.put(name, v);
    }
  }

  private static int intParam(RoutingContext ctx, String name, int def, int min, int max) {
    String v = ctx.request().getParam(name);
    if (v == null || v.isBlank()) {
      return def;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n < min || n > max) {
        throw ApiException.badRequest(name + ": must be between " + min + " and " + max);
      }
      return n;
    } catch (NumberFormatException e) {
      throw ApiException.badRequest(name + ": must be an integer");
    }
  }
}
