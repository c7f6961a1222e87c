package org.crawlerhub.router;

import io.vertx.core.Completable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.bus.Addresses.Headers;
import org.crawlerhub.bus.BusReplies;
import org.crawlerhub.bus.DirectLane;
import org.crawlerhub.bus.LeaseView;
import org.crawlerhub.bus.LocalOnlyCodec;
import org.crawlerhub.bus.LocalJsonCodec;
import org.crawlerhub.bus.ProgressLane;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.metrics.HubMetrics;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.Frames;
import org.crawlerhub.protocol.JobReport;
import org.crawlerhub.protocol.JobReportBatch;
import org.crawlerhub.protocol.MessageType;
import org.crawlerhub.protocol.ProtocolCodec;
import org.crawlerhub.protocol.ProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes crawler messages (ARCHITECTURE "Message flow" 2–4). Instance {@code partition} consumes
 * {@code hub.crawler.inbound.<partition>} (fed by the gateway of this node, which sends with
 * {@code localOnly} so a connection's messages stay in order on one node); partition 0 also
 * consumes {@code hub.crawler.inbound} (other senders, possibly clustered; envelopes are
 * normalised there as the gateway's codec would) and answers {@link RouterAddresses#CRAWLERS}.
 *
 * <p>Every inbound message gets exactly one reply {@code {"frames":[...]}}: the handler's frames
 * when accepted; when rejected, the handler's frames (if any) followed by one {@code error} frame
 * from {@link Frames#errorFrom}. Accepted envelopes are then published on
 * {@code hub.crawler.message.<type>} with the same headers; each rejection is sent as a report to
 * {@code hub.errors.report}. Router traffic stays on the node ({@code localOnly}).
 *
 * <p>Deploy with {@link #deploy(Vertx, HubConfig, Consumer)}: {@code cfg.instances().router()}
 * instances, partitions {@code 0..n-1}. The optional customiser is applied to each instance's
 * {@link MessageRouter} after the built-ins are installed.
 */
public final class RouterVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(RouterVerticle.class);
  private static final long RATE_LIMIT_SWEEP_MS = 10_000;
  private static final String UNKNOWN_TYPE_TAG = "unknown";
  private static final String SOURCE = "router";
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setLocalOnly(true);
  /** Replies are built fresh per message and never touched again: handed over without a copy. */
  private static final DeliveryOptions REPLY = LocalJsonCodec.options();

  private final HubConfig cfg;
  private final int partition;
  private final Consumer<MessageRouter> customiser;
  private final Map<String, String> messageAddresses = new HashMap<>();
  /** Types not published on {@code hub.crawler.message.<type>} (config {@code unpublishedMessageTypes}). */
  private final Set<String> unpublished;

  private EventBus bus;
  private MessageRouter router;
  private HeartbeatHandler heartbeats;
  private OutcomeCounters counters;
  private JobsForwardingHandler jobs;
  private io.vertx.core.shareddata.LocalMap<String, Object> batchConsumers;
  /** This node's progress aggregator partitions ({@link ProgressLane}), by partition number. */
  private io.vertx.core.shareddata.LocalMap<Integer, ProgressLane> progressLanes;
  private final int progressPartitions;
  private long sweepTimer = -1;
  private long heartbeatTimer = -1;
  /**
   * Accepted heartbeats since the last {@code hub.crawler.heartbeats} batch: the latest per
   * connection. A new map for every batch, not one cleared: entries put into a young map cost G1
   * nothing, into a long-lived one each marks a card for its refinement threads (10,000 idle
   * crawlers: 2,000 puts a second).
   */
  private Map<String, JsonObject> pendingHeartbeats = new java.util.LinkedHashMap<>();
  private MultiMap sizedHeaders;
  private MultiMap publishHeaders;
  private DeliveryOptions publishOptions;
  private boolean sizedHeadersFour;
  /** Name of the event-loop thread this instance runs on. */
  private String lane;
  /** This partition as a direct call for the gateway on its event loop (listed in {@link DirectLane#MAP}). */
  private Lane direct;

  public RouterVerticle(HubConfig cfg, int partition) {
    this(cfg, partition, null);
  }

  /**
   * @param partition this instance's index, {@code 0 <= partition < cfg.instances().router()}
   * @param customiser called with this instance's router to register handlers and middleware; may be null
   */
  public RouterVerticle(HubConfig cfg, int partition, Consumer<MessageRouter> customiser) {
    this.cfg = cfg;
    this.unpublished = Set.copyOf(cfg.unpublishedMessageTypes());
    this.partition = partition;
    this.customiser = customiser;
    this.progressPartitions = Math.max(1, cfg.instances().progress());
  }

  /** Deploys {@code cfg.instances().router()} instances, one per partition. */
  public static Future<String> deploy(Vertx vertx, HubConfig cfg) {
    return deploy(vertx, cfg, null);
  }

  /** Deploys {@code cfg.instances().router()} instances, each customised by {@code customiser}. */
  public static Future<String> deploy(Vertx vertx, HubConfig cfg, Consumer<MessageRouter> customiser) {
    int instances = Math.max(1, cfg.instances().router());
    AtomicInteger next = new AtomicInteger();
    return vertx.deployVerticle(() -> new RouterVerticle(cfg, next.getAndIncrement(), customiser),
        new DeploymentOptions().setInstances(instances));
  }

  @Override
  public Future<?> start() {
    bus = vertx.eventBus();
    LocalJsonCodec.register(bus);
    LocalOnlyCodec.register(bus, JobReportBatch.class);
    router = new MessageRouter().bindTo(context);
    router.addMiddleware(new LoggingMiddleware());
    if (cfg.rateLimitMessagesPerSecond() > 0) {
      RateLimitMiddleware limiter = new RateLimitMiddleware(cfg.rateLimitMessagesPerSecond(),
          cfg.maxConnections());
      router.addMiddleware(limiter);
      sweepTimer = vertx.setPeriodic(RATE_LIMIT_SWEEP_MS, id -> limiter.sweepIdle());
    }
    router.addMiddleware(new ValidationMiddleware());
    heartbeatTimer = vertx.setPeriodic(Addresses.HEARTBEAT_BATCH_MS, id -> publishHeartbeats());
    heartbeats = new HeartbeatHandler(vertx);
    router.registerHandler(MessageType.HEARTBEAT, MessageRouter.BUILTIN_PRIORITY, heartbeats);
    jobs = new JobsForwardingHandler(bus, JobsForwardingHandler.DEFAULT_TIMEOUT_MS, LeaseView.of(vertx));
    batchConsumers = vertx.sharedData().getLocalMap(Addresses.BATCH_CONSUMERS);
    progressLanes = ProgressLane.map(vertx);
    for (MessageType t : JobsForwardingHandler.TYPES) {
      router.registerHandler(t, MessageRouter.BUILTIN_PRIORITY, jobs);
    }
    if (customiser != null) {
      customiser.accept(router);
    }
    counters = new OutcomeCounters(HubMetrics.registry());

    List<Future<?>> registrations = new ArrayList<>();
    // Plain (not local) consumers: in a cluster a sender that forgets localOnly must still reach
    // a router. The gateway sends with localOnly so a connection's messages stay on its node.
    registrations.add(bus.<Object>consumer(Addresses.inboundPartition(partition),
        m -> onInbound(m, false)).completion());
    // The batch form is node-local by nature (the gateway of this node, one connection per batch).
    registrations.add(bus.<Object>localConsumer(Addresses.inboundBatchPartition(partition), this::onInboundBatch)
        .completion());
    registrations.add(bus.<Object>consumer(Addresses.CRAWLER_EVENTS, this::onConnectionEvent)
        .completion());
    if (partition == 0) {
      registrations.add(bus.<Object>consumer(Addresses.CRAWLER_INBOUND, m -> onInbound(m, true))
          .completion());
      registrations.add(bus.<Object>consumer(RouterAddresses.CRAWLERS, this::onCrawlersQuery)
          .completion());
    }
    lane = Thread.currentThread().getName();
    direct = new Lane((ContextInternal) context);
    return Future.all(registrations).onSuccess(v -> {
      batchConsumers.put(Addresses.inboundBatchPartition(partition), true);
      vertx.sharedData().<String, DirectLane>getLocalMap(DirectLane.MAP).put(Addresses.inboundBatchPartition(partition),
          direct);
      // the first partition on an event loop is that loop's lane (later ones are reached by hash)
      vertx.sharedData().<String, Integer>getLocalMap(Addresses.ROUTER_LANES).putIfAbsent(lane, partition);
    });
  }

  @Override
  public Future<?> stop() {
    if (batchConsumers != null) {
      batchConsumers.remove(Addresses.inboundBatchPartition(partition));
      vertx.sharedData().<String, DirectLane>getLocalMap(DirectLane.MAP)
          .removeIfPresent(Addresses.inboundBatchPartition(partition), direct);
      vertx.sharedData().<String, Integer>getLocalMap(Addresses.ROUTER_LANES).removeIfPresent(lane, partition);
    }
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
    }
    if (heartbeatTimer >= 0) {
      vertx.cancelTimer(heartbeatTimer);
    }
    publishHeartbeats();
    return Future.succeededFuture();
  }

  // ---------------------------------------------------------------- inbound

  /** Where a routed message's outcome goes: its reply, and its job report when it is an accepted job message. */
  private interface Completion {
    void done(JsonObject reply, JobReport report);
  }

  private void onInbound(Message<Object> m, boolean normalise) {
    route(m.body(), m.headers(), normalise, (reply, report) -> {
      if (report != null) {
        publishReports(m.headers(), List.of(report));
      }
      m.reply(reply, REPLY);
    });
  }

  /**
   * The batch form (one gateway request per socket read of one connection): each envelope is
   * routed exactly as if it had come alone, in order, with the batch's headers; the lifecycle
   * commands among them go to the jobs service as one batch request when it takes batches. The
   * reply {@code {"replies":[...]}} holds each message's {@code {"frames":[...]}} in order.
   */
  private void onInboundBatch(Message<Object> m) {
    routeBatch(m.body(), m.headers(), (reply, failure) -> m.reply(reply, REPLY));
  }

  /** The batch form's work, for the bus consumer and the {@link Lane}: {@code done} gets the reply, once. */
  private void routeBatch(Object body, MultiMap h, Completable<Object> done) {
    JsonArray batch = body instanceof JsonObject o && o.getValue("batch") instanceof JsonArray a ? a : null;
    int n = batch == null ? 0 : batch.size();
    if (n == 0) {
      done.succeed(new JsonObject().put("replies", new JsonArray()));
      return;
    }
    Object[] replies = new Object[n];
    JobReport[] reports = new JobReport[n];
    int[] missing = {n};
    // Collected even when the read held one line: only a collected job_progress can be accepted
    // from the lease view (JobsForwardingHandler.acceptHere); a lone one was otherwise a request to
    // the jobs service, answered and reported only after its round trip — and a crawler reporting
    // every few hundred ms sends every line in a read of its own.
    boolean collect = batchConsumers.get(Addresses.JOBS_COMMAND_BATCH) != null;
    // While the batch is being routed, a reply that is complete already waits for endBatch: the
    // collected commands (accepted progress to record included) go to the jobs service first, so
    // the reply stays a barrier for every effect of the batch.
    boolean[] routing = {true};
    JsonObject[] early = new JsonObject[1];
    if (collect) {
      jobs.beginBatch();
    }
    try {
      for (int i = 0; i < n; i++) {
        int slot = i;
        route(batch.getList().get(i), h, false, (reply, report) -> {
          if (replies[slot] == null) {
            replies[slot] = reply;
            reports[slot] = report;
            if (--missing[0] == 0) {
              publishReports(h, reports);
              JsonObject all = new JsonObject().put("replies", new JsonArray(java.util.Arrays.asList(replies)));
              if (routing[0]) {
                early[0] = all;
              } else {
                done.succeed(all);
              }
            }
          }
        });
      }
    } finally {
      try {
        if (collect) {
          jobs.endBatch();
        }
      } finally {
        routing[0] = false;
        if (early[0] != null) {
          done.succeed(early[0]);
        }
      }
    }
  }

  private void route(Object body, MultiMap h, boolean normalise, Completion replyTo) {
    long receivedAt = System.nanoTime();
    RoutedMessage rm = null;
    try {
      String connectionId = h.get(Headers.CONNECTION_ID);
      String crawlerId = h.get(Headers.CRAWLER_ID);
      String nodeId = h.get(Headers.NODE_ID);
      ProtocolException undecodable = null;
      if (body instanceof Buffer raw) {
        // a line the gateway left to us (batch form): decoded here, right before it is routed
        try {
          body = ProtocolCodec.decode(raw, cfg.maxMessageSize());
        } catch (ProtocolException e) {
          undecodable = e;
        }
      }
      JsonObject env = body instanceof JsonObject o ? o : new JsonObject();
      String transport = h.get(Headers.TRANSPORT);
      // The gateway always sends exactly these four headers: reuse its map downstream.
      boolean complete = connectionId != null && crawlerId != null && nodeId != null && transport != null
          && exactlyFour(h);
      rm = new RoutedMessage(RoutedMessage.typeOf(env), env, connectionId,
          crawlerId != null ? crawlerId : connectionId, nodeId != null ? nodeId : cfg.nodeId(),
          transport, receivedAt, complete ? h : null);
      if (undecodable != null) {
        complete(replyTo, rm, HandlerResult.rejected(undecodable), null, null);
        return;
      }
      if (!(body instanceof JsonObject)) {
        complete(replyTo, rm, HandlerResult.rejected(ErrorCode.NOT_AN_OBJECT,
            "message must be a JSON object"), null, null);
        return;
      }
      if (normalise && needsNormalising(rm.type())) {
        ProtocolCodec.normaliseEnvelope(env);
        rm = rm.withEnvelope(env);
      }
      RoutedMessage routed = rm;
      // read the progress aggregator's part now, while the envelope is in this core's cache; it is
      // published only if the message is accepted (and re-read if a middleware replaced the envelope)
      JobReport report = JobReport.fromEnvelope(env);
      MessageType known = rm.type() == null ? null : MessageType.fromWire(rm.type());
      router.route(routed, (msg, result) -> {
        boolean same = msg != null && msg.envelope() == env;
        complete(replyTo, msg, result, same ? report : null, same ? known : null);
      });
    } catch (ProtocolException e) {
      complete(replyTo, rm, HandlerResult.rejected(e), null, null);
    } catch (Throwable t) {
      LOG.warn("Unexpected failure while routing a message", t);
      complete(replyTo, rm, HandlerResult.rejected(Frames.toProtocolException(t)), null, null);
    }
  }

  /**
   * {@code h.size() == 4}, remembered for the last map asked: a batch's messages share one map, and
   * the size of a headers map builds a sorted set of its names (a measured hot spot per message).
   */
  private boolean exactlyFour(MultiMap h) {
    if (h != sizedHeaders) {
      int n = 0;
      for (Map.Entry<String, String> e : h) { // h.size() would build a sorted set of the names
        n++;
      }
      sizedHeaders = h;
      sizedHeadersFour = n == 4;
    }
    return sizedHeadersFour;
  }

  /** Envelopes from other senders get the codec's rules, except custom types an app handles. */
  private boolean needsNormalising(String type) {
    return type == null || MessageType.fromWire(type) != null || router.handlerFor(type) == null;
  }

  /**
   * Exactly one reply per inbound message. Counting, publishing and reporting happen before the
   * reply: once the crawler has its answer, every effect of the message is on the bus (a reply
   * is a barrier). A failure in those effects is logged and does not change the reply.
   */
  private void complete(Completion replyTo, RoutedMessage msg, HandlerResult result, JobReport readReport,
      MessageType readType) {
    // the type read while routing: its constant name is hashed and in the cache, the message's own
    // string (read again after the jobs round trip) is neither
    String type = readType != null ? readType.wire() : msg == null ? null : msg.type();
    JsonObject reply;
    try {
      JsonArray frames = result.frames();
      if (result.success()) {
        reply = frames == null || frames.isEmpty() ? BusReplies.NO_FRAMES : new JsonObject().put("frames", frames);
      } else {
        String jobId = msg == null ? null : msg.jobId();
        JsonArray owed = JobsForwardingHandler.withOwedAnswer(type, jobId, result.error().getMessage(), frames);
        JsonArray out = owed != null ? new JsonArray(new ArrayList<>(owed.getList())) : new JsonArray();
        reply = new JsonObject().put("frames", out.add(Frames.errorFrom(result.error(), type, jobId)));
      }
    } catch (Throwable t) {
      LOG.error("Failed to build the reply to a {} message", type, t);
      result = HandlerResult.rejected(Frames.toProtocolException(t));
      reply = new JsonObject().put("frames", new JsonArray().add(Frames.errorFrom(t, type, msg == null ? null : msg.jobId())));
    }
    JobReport report = null;
    try {
      if (result.success()) {
        counters.accepted(typeTag(type));
        report = readReport != null ? readReport : JobReport.fromEnvelope(msg.envelope());
        if (readType == MessageType.HEARTBEAT || (readType == null && MessageType.HEARTBEAT.wire().equals(type))) {
          noteHeartbeat(msg);
        }
        // Cluster-wide, for whoever subscribes (local consumers share the envelope read-only, no
        // copy per consumer; remote nodes get it encoded as JSON). Not for the types the config
        // leaves out (job_progress by default): a publish costs the same with no subscriber.
        if (type == null || !unpublished.contains(type)) {
          bus.publish(messageAddress(type), msg.envelope(), publishOptions(msg.headers()));
        }
      } else {
        counters.rejected(typeTag(type), result.error().code());
        report(msg, result, type, msg == null ? null : msg.jobId());
      }
    } catch (Throwable t) {
      LOG.error("Failed to publish the outcome of a {} message", type, t);
    }
    replyTo.done(reply, report);
  }

  /** The options of a {@code hub.crawler.message.<type>} publish: one per headers map (a batch shares one). */
  private DeliveryOptions publishOptions(MultiMap headers) {
    if (headers != publishHeaders || publishOptions == null) {
      publishHeaders = headers;
      publishOptions = new DeliveryOptions().setHeaders(headers).setCodecName(LocalJsonCodec.NAME);
    }
    return publishOptions;
  }

  private void noteHeartbeat(RoutedMessage msg) {
    String key = msg.connectionId() != null ? msg.connectionId() : msg.crawlerId();
    if (key == null) {
      return;
    }
    JsonObject entry = new JsonObject().put("envelope", msg.envelope());
    putIfPresent(entry, "connectionId", msg.connectionId());
    putIfPresent(entry, "crawlerId", msg.crawlerId());
    putIfPresent(entry, "nodeId", msg.nodeId());
    pendingHeartbeats.put(key, entry);
  }

  /** One {@code hub.crawler.heartbeats} batch with what arrived since the last one (nothing when none did). */
  private void publishHeartbeats() {
    if (pendingHeartbeats.isEmpty() || bus == null) {
      return;
    }
    JsonArray list = new JsonArray(new ArrayList<>(pendingHeartbeats.values()));
    pendingHeartbeats = new java.util.LinkedHashMap<>();
    try {
      bus.publish(Addresses.CRAWLER_HEARTBEATS, new JsonObject().put("heartbeats", list), REPLY);
    } catch (Throwable t) {
      LOG.error("Failed to publish {} heartbeats", list.size(), t);
    }
  }

  /** Publishes the job reports of one batch (nulls skipped) in receive order, before its reply. */
  private void publishReports(MultiMap h, JobReport[] reports) {
    List<JobReport> list = null;
    for (JobReport r : reports) {
      if (r != null) {
        if (list == null) {
          list = new ArrayList<>(reports.length);
        }
        list.add(r);
      }
    }
    if (list != null) {
      publishReports(h, list);
    }
  }

  private void publishReports(MultiMap h, List<JobReport> reports) {
    try {
      String connectionId = h.get(Headers.CONNECTION_ID);
      String crawlerId = h.get(Headers.CRAWLER_ID);
      JobReportBatch batch = new JobReportBatch(cfg.nodeId(), connectionId,
          crawlerId != null ? crawlerId : connectionId, reports);
      // this node's aggregator partitions take the batch directly (applied on this thread when
      // idle), or, while one of them is not listed (starting, stopping), from the local address
      if (!ProgressLane.offerAll(progressLanes, progressPartitions, batch)) {
        bus.publish(Addresses.JOB_REPORTS_LOCAL, batch, LOCAL);
      }
      if (vertx.isClustered()) {
        // other nodes' aggregators get JSON (the bus contract for anything crossing the cluster)
        bus.publish(Addresses.JOB_REPORTS, batch.toJson(), REPLY);
      }
    } catch (Throwable t) {
      LOG.error("Failed to publish {} job reports", reports.size(), t);
    }
  }

  private String messageAddress(String type) {
    String a = messageAddresses.get(type);
    if (a == null) {
      a = Addresses.message(type);
      messageAddresses.put(type, a);
    }
    return a;
  }

  /** Metric type tag: protocol types and app-handled types by name, anything else "unknown". */
  private String typeTag(String type) {
    if (type == null) {
      return UNKNOWN_TYPE_TAG;
    }
    MessageType t = MessageType.fromWire(type);
    if (t != null) {
      return t.wire();
    }
    return router.handlerFor(type) != null ? type : UNKNOWN_TYPE_TAG;
  }

  private void report(RoutedMessage msg, HandlerResult result, String type, String jobId) {
    ProtocolException e = result.error();
    ErrorCode code = e.code();
    JsonObject r = new JsonObject()
        .put("code", code.name())
        .put("category", code.category().wire())
        .put("severity", code.severity().wire())
        .put("message", e.getMessage())
        .put("source", SOURCE);
    if (msg != null) {
      putIfPresent(r, "crawlerId", msg.crawlerId());
      putIfPresent(r, "connectionId", msg.connectionId());
      putIfPresent(r, "nodeId", msg.nodeId());
    }
    putIfPresent(r, "jobId", e.jobId() != null ? e.jobId() : jobId);
    putIfPresent(r, "refType", e.refType() != null ? e.refType() : type);
    if (result.shouldRetry()) {
      JsonObject details = new JsonObject().put("shouldRetry", true);
      if (result.retryAfter() != null) {
        details.put("retryAfterMs", result.retryAfter().toMillis());
      }
      r.put("details", details);
    }
    r.put("at", Frames.now());
    bus.send(Addresses.ERRORS_REPORT, r, LOCAL);
  }

  private static void putIfPresent(JsonObject j, String key, String value) {
    if (value != null) {
      j.put(key, value);
    }
  }

  /**
   * The direct form of this partition's batch consumer (see {@link DirectLane}): runs
   * {@link #routeBatch} on this verticle's context, on the caller's thread, so everything the
   * routing starts (the jobs service's replies, timers) belongs to the router as before.
   */
  private final class Lane implements DirectLane {
    private final ContextInternal ctx;

    Lane(ContextInternal ctx) {
      this.ctx = ctx;
    }

    @Override
    public boolean inThread() {
      return ctx.inThread();
    }

    @Override
    public void route(JsonObject request, MultiMap headers, Completable<Object> done) {
      ctx.emit(request, r -> {
        boolean[] answered = {false};
        Completable<Object> once = (reply, failure) -> {
          if (!answered[0]) {
            answered[0] = true;
            done.complete(reply, failure);
          }
        };
        try {
          routeBatch(r, headers, once);
        } catch (Throwable t) {
          LOG.warn("Unexpected failure while routing a batch", t);
          once.fail(t);
        }
      });
    }
  }

  // ---------------------------------------------------------------- events and queries

  private void onConnectionEvent(Message<Object> m) {
    if (!(m.body() instanceof JsonObject e)) {
      return;
    }
    Object event = e.getValue("event");
    if (("disconnected".equals(event) || "heartbeat_timeout".equals(event))
        && e.getValue("connectionId") instanceof String connectionId) {
      router.connectionClosed(connectionId);
      if (partition == 0) {
        heartbeats.connectionClosed(connectionId,
            e.getValue("crawlerId") instanceof String c ? c : null);
      }
    }
  }

  private void onCrawlersQuery(Message<Object> m) {
    if (m.body() instanceof JsonObject q && q.getValue("crawlerId") instanceof String id) {
      CrawlerHeartbeat hb = heartbeats.get(id);
      if (hb == null) {
        m.fail(404, "NOT_FOUND: no heartbeat from crawler " + id + " on this node");
      } else {
        m.reply(new JsonObject().put("crawler", hb.toJson()));
      }
      return;
    }
    m.reply(new JsonObject().put("crawlers", heartbeats.snapshot()));
  }
}
