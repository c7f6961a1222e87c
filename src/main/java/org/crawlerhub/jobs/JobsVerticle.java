package org.crawlerhub.jobs;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.bus.BusReplies;
import org.crawlerhub.bus.LeaseView;
import org.crawlerhub.bus.LocalJsonCodec;
import org.crawlerhub.bus.LocalOnlyCodec;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.metrics.HubMetrics;
import org.crawlerhub.persistence.AreaRepository;
import org.crawlerhub.persistence.BatchMetrics;
import org.crawlerhub.persistence.CrawlerSessionRepository;
import org.crawlerhub.persistence.Database;
import org.crawlerhub.persistence.ExpiredJob;
import org.crawlerhub.persistence.JobRepository;
import org.crawlerhub.persistence.PendingProgress;
import org.crawlerhub.persistence.PgErrors;
import org.crawlerhub.persistence.Transition;
import org.crawlerhub.persistence.TransitionResult;
import org.crawlerhub.persistence.WriteBuffer;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.Frames;
import org.crawlerhub.protocol.JobCommand;
import org.crawlerhub.protocol.JobCommandBatch;
import org.crawlerhub.protocol.MessageType;
import org.crawlerhub.protocol.ProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job lifecycle state machine on PostgreSQL (SPEC §2, §7). One instance per node.
 *
 * <p>Consumes {@code hub.jobs.command} (crawler messages forwarded by the router) and the
 * {@code hub.jobs.*} API addresses; listens to {@code hub.crawler.events} and heartbeats for leases
 * and {@code crawler_sessions}. Lifecycle transitions go through a {@link WriteBuffer} (durable
 * before they are published on {@code hub.job.events}; buffered and replayed while PostgreSQL is
 * down); {@code job_progress} is validated against an in-memory {@link LeaseCache} and flushed
 * coalesced. Timers: progress/heartbeat flush ({@code progressFlushInterval}), lease scanner
 * ({@code leaseCheckInterval}), lease renewal for crawlers connected to this node
 * ({@code heartbeatInterval}), queue gauges.
 */
public final class JobsVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(JobsVerticle.class);
  private static final List<String> STATUSES = JobsApi.STATUSES;
  private static final Map<String, AtomicLong> BY_STATUS = new ConcurrentHashMap<>();
  private static final int FLUSH_CHUNK = 5000;
  /**
   * The progress flush runs {@code FLUSH_PHASES} times per {@code progressFlushInterval}, each time
   * for the jobs of one phase ({@code floorMod(jobId.hashCode(), FLUSH_PHASES)}): every job is still
   * written at most once per interval, but PostgreSQL gets four short statements instead of one
   * long one — a flush of the whole fleet held one of two cores for ~3 ms every 250 ms, and the
   * probes of bench/latency.sh that arrived then made most of its p99 (bench/RESULTS.md, session 12).
   */
  static final int FLUSH_PHASES = 4;
  /** Most crawlers whose job_requests one claim statement serves. */
  private static final int CLAIM_BATCH = 500;

  private final HubConfig cfg;
  private final String nodeId;
  private LeaseCache cache;
  private final Map<String, Future<LeaseCache.Entry>> loading = new HashMap<>();
  private final Map<String, Future<Void>> claimChains = new HashMap<>();
  /** Claims waiting for the claim statement in flight to finish ({@link #runClaims}). */
  private final ArrayDeque<ClaimRequest> claimQueue = new ArrayDeque<>();
  private boolean claiming;
  /** Per crawler: settles when every lifecycle write it sent so far is committed (or buffered). */
  private final Map<String, Future<Void>> crawlerWrites = new HashMap<>();
  /** Latest progress per job since the last flush (coalesced: one write per job per flush). */
  private final LinkedHashMap<String, ProgressSlot> pendingProgress = new LinkedHashMap<>();
  /** What the flush in flight took from {@link #pendingProgress} (empty when none is). */
  private Map<String, ProgressSlot> flushingProgress = Map.of();
  /** Ticks of the flush timer so far: the phase of the next one. */
  private long flushTicks;
  private final Map<String, CrawlerSessionRepository.Heartbeat> pendingHeartbeats = new LinkedHashMap<>();
  /** Local connectionId -> what its crawler_sessions row last got from a heartbeat ({@link #onHeartbeat}). */
  private final Map<String, SessionMark> sessionMarks = new HashMap<>();
  /** connectionId -> connection known from hub.crawler.events (cluster-wide). */
  private final Map<String, Connection> connections = new HashMap<>();
  /** crawlerId -> how many of {@link #connections} it has (a mass disconnect stays linear). */
  private final Map<String, Integer> connectionsPerCrawler = new HashMap<>();
  /**
   * Crawlers whose last connection closed -> the node it was on (their leases run out leaseGrace
   * later unless they return; that node writes the expiry, or, if it leaves the cluster first, the others).
   */
  private final Map<String, String> gone = new LinkedHashMap<>() {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
      return size() > 100_000;
    }
  };
  private final List<Long> timers = new ArrayList<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private final Map<String, Counter> transitionCounters = new HashMap<>();

  private Pool pool;
  private JobRepository jobs;
  private CrawlerSessionRepository sessions;
  private WriteBuffer buffer;
  private LeaseExpiryScanner scanner;
  private TokenRefresher tokens;
  private Counter leaseExpiries;
  private Timer jobRequests;
  private Future<?> leaseWrites = Future.succeededFuture();
  private boolean flushing;
  private boolean scanning;
  private boolean stopped;
  /**
   * Claim statements that failed on a broken connection: token -> its crawlers (see settleClaims).
   * Bounded: in a long outage the oldest are forgotten (their jobs then wait for jobTimeout).
   */
  private final Map<String, List<String>> unsettledClaims = new LinkedHashMap<>() {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, List<String>> eldest) {
      return size() > 10_000;
    }
  };
  private boolean settlingClaims;
  /** Discoveries kept while PostgreSQL is unavailable, to be stored when it is back. */
  private int discoveriesWaiting;
  static final int MAX_DISCOVERIES_WAITING = 1000;
  /** Rows one pruning statement deletes at most. */
  private static final int PRUNE_BATCH = 10_000;

  private record Connection(String crawlerId, boolean local, String nodeId) {}

  /** The heartbeat values a session row holds, and when last_seen_at was last moved (mutable: no garbage per beat). */
  private static final class SessionMark {
    String status;
    Integer active;
    Long processed;
    long writtenAtMs;

    boolean holds(String s, Integer a, Long p) {
      return Objects.equals(status, s) && Objects.equals(active, a) && Objects.equals(processed, p);
    }
  }

  private record ClaimRequest(Replier msg, String crawlerId, int want, Promise<Void> answered) {}

  /** Mutable so the hot job_progress path allocates nothing per message beyond the message itself. */
  private static final class ProgressSlot {
    final String owner;
    final int attempt;
    JsonObject progress;
    JsonObject resume;
    long atMillis;

    ProgressSlot(String owner, int attempt) {
      this.owner = owner;
      this.attempt = attempt;
    }

    /** A copy: {@code progress} is the crawler's {@code data}, shared read-only with other consumers. */
    JsonObject progressWithTime() {
      return progress.copy().put("updatedAt", Instant.ofEpochMilli(atMillis).toString());
    }

    PendingProgress toPending(String jobId, long extendLeaseMs) {
      return new PendingProgress(jobId, owner, attempt, progressWithTime(), resume,
          OffsetDateTime.ofInstant(Instant.ofEpochMilli(atMillis), ZoneOffset.UTC), extendLeaseMs);
    }
  }

  public JobsVerticle(HubConfig cfg) {
    this.cfg = Objects.requireNonNull(cfg, "cfg");
    this.nodeId = cfg.nodeId() == null ? "node" : cfg.nodeId();
  }

  @Override
  public Future<?> start() {
    if (cfg.database().url() == null) {
      return Future.failedFuture(new IllegalStateException("JobsVerticle needs database.url (app starts the database first)"));
    }
    cache = new LeaseCache(200_000, LeaseView.of(vertx));
    pool = Database.pool(vertx, cfg.database().url(), cfg.database().poolSize(), "jobs", true);
    jobs = new JobRepository(pool);
    sessions = new CrawlerSessionRepository(pool);
    int lanes = Math.max(1, Math.min(4, cfg.database().poolSize() / 2));
    buffer = new WriteBuffer(vertx, pool, cfg.database().writeBufferSize(), lanes, 64, 2000);
    scanner = new LeaseExpiryScanner(jobs, cfg.jobTimeout(), nodeId);
    tokens = new TokenRefresher(vertx, cfg.tokenRefresh());
    MeterRegistry registry = HubMetrics.registry();
    leaseExpiries = Counter.builder(HubMetrics.LEASE_EXPIRIES).description("leases expired and requeued").register(registry);
    jobRequests = Timer.builder(HubMetrics.JOB_REQUEST)
        .description("job_request from its arrival at the jobs service to its job_response (earlier writes, claim)")
        .publishPercentileHistogram().register(registry);
    for (String s : STATUSES) {
      AtomicLong v = BY_STATUS.computeIfAbsent(s, k -> new AtomicLong());
      if (registry.find(HubMetrics.JOBS_BY_STATUS).tag("status", s).gauge() == null) {
        Gauge.builder(HubMetrics.JOBS_BY_STATUS, v, AtomicLong::get).tag("status", s).strongReference(true).register(registry);
      }
    }

    var bus = vertx.eventBus();
    LocalJsonCodec.register(bus);
    // Local: the router of THIS node talks to the jobs service of this node, which holds the lease
    // cache and per-crawler ordering for the crawlers connected here (a clustered send would
    // otherwise round-robin across nodes).
    consumers.add(bus.<JsonObject>localConsumer(Addresses.JOBS_COMMAND, this::onCommand));
    LocalOnlyCodec.register(bus, JobCommandBatch.class);
    consumers.add(bus.<Object>localConsumer(Addresses.JOBS_COMMAND_BATCH, this::onCommandBatch));
    JobsApi api = new JobsApi(cfg, nodeId, pool, jobs, this::onApiMove, this::publish, this::updateGauges);
    api.register(bus, consumers);
    consumers.add(bus.<JsonObject>consumer(Addresses.CRAWLER_EVENTS, m -> onCrawlerEvent(m.body())));
    consumers.add(bus.<String>localConsumer(Addresses.CLUSTER_NODE_LEFT, m -> onNodeLeft(m.body())));
    consumers.add(bus.<JsonObject>consumer(Addresses.CRAWLER_HEARTBEATS, this::onHeartbeats));
    consumers.add(bus.<JsonObject>consumer(Addresses.JOB_EVENTS, m -> onJobEvent(m.body())));

    timers.add(vertx.setPeriodic(Math.max(10, cfg.progressFlushInterval() / FLUSH_PHASES),
        id -> flush((int) (flushTicks++ % FLUSH_PHASES))));
    timers.add(vertx.setPeriodic(Math.max(10, cfg.leaseCheckInterval()), id -> scan()));
    timers.add(vertx.setPeriodic(renewalInterval(cfg), id -> renewLocalLeases()));
    timers.add(vertx.setPeriodic(5000, id -> refreshGauges()));
    if (cfg.cleanupInterval() > 0 && cfg.maxJobAge() > 0) {
      timers.add(vertx.setPeriodic(cfg.cleanupInterval(), id -> cleanUp()));
    }
    return Future.all(consumers.stream().map(MessageConsumer::completion).toList())
        .onSuccess(v -> {
          // the router may now forward a batch of commands as one request
          vertx.sharedData().getLocalMap(Addresses.BATCH_CONSUMERS).put(Addresses.JOBS_COMMAND_BATCH, true);
          refreshGauges();
          LOG.info("Jobs service started on node {}", nodeId);
        });
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    vertx.sharedData().getLocalMap(Addresses.BATCH_CONSUMERS).remove(Addresses.JOBS_COMMAND_BATCH);
    if (cache != null) {
      cache.clear(); // the router stops answering job_progress from the lease view
    }
    timers.forEach(vertx::cancelTimer);
    consumers.forEach(MessageConsumer::unregister);
    tokens.close();
    long deadline = System.currentTimeMillis() + Math.min(cfg.shutdownTimeout(), 10_000);
    return flush().transform(v -> awaitDrained(deadline))
        .transform(v -> {
          buffer.close();
          return pool.close();
        });
  }

  private Future<Void> awaitDrained(long deadline) {
    if (buffer.size() == 0 || System.currentTimeMillis() > deadline) {
      return Future.succeededFuture();
    }
    return vertx.timer(50).compose(x -> awaitDrained(deadline));
  }

  // =============================================================== crawler commands

  /** Where a command's single reply goes: the request itself, or its slot in a batch reply. */
  @FunctionalInterface
  private interface Replier {
    void reply(JsonObject body);
  }

  private void onCommand(Message<JsonObject> msg) {
    JsonObject env = msg.body();
    command(env == null ? null : JobCommand.fromEnvelope(env), crawlerId(msg), body -> msg.reply(body, REPLY));
  }

  /**
   * The batch form ({@link Addresses#JOBS_COMMAND_BATCH}): a {@link JobCommandBatch} from the router
   * (or {@code {"batch":[envelope...]}} from other senders); every command is handled exactly as a
   * single one, in order, and the batch is answered once every one has its reply.
   */
  private void onCommandBatch(Message<Object> msg) {
    List<JobCommand> batch = commandsOf(msg.body());
    int n = batch.size();
    if (n == 0) {
      msg.reply(new JsonObject().put("replies", new JsonArray()), REPLY);
      return;
    }
    String crawlerId = crawlerId(msg);
    if (msg.replyAddress() == null) {
      // sent, not requested: progress the router already accepted (nothing to answer)
      for (JobCommand c : batch) {
        command(c, crawlerId, NO_REPLY);
      }
      return;
    }
    Object[] replies = new Object[n];
    int[] missing = {n};
    for (int i = 0; i < n; i++) {
      int slot = i;
      command(batch.get(i), crawlerId, body -> {
        if (replies[slot] == null) {
          replies[slot] = body;
          if (--missing[0] == 0) {
            msg.reply(new JsonObject().put("replies", new JsonArray(Arrays.asList(replies))), REPLY);
          }
        }
      });
    }
  }

  private static List<JobCommand> commandsOf(Object body) {
    if (body instanceof JobCommandBatch b) {
      return b.commands();
    }
    List<JobCommand> out = new ArrayList<>();
    if (body instanceof JsonObject o && o.getValue("batch") instanceof JsonArray a) {
      for (Object item : a) {
        out.add(item instanceof JsonObject env ? JobCommand.fromEnvelope(env) : null);
      }
    }
    return out;
  }

  private void command(JobCommand c, String crawlerId, Replier msg) {
    MessageType type = c == null ? null : c.type();
    String jobId = c == null ? null : c.jobId();
    try {
      if (type == null) {
        Object t = c == null ? null : c.envelope().getValue("type");
        throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, "type: the jobs service does not handle '" + t + "'");
      }
      if (c.acceptedAttempt() != JobCommand.NOT_ACCEPTED) {
        recordAccepted(c, crawlerId);
        msg.reply(BusReplies.NO_FRAMES);
        return;
      }
      JsonObject env = c.envelope();
      switch (type) {
        case JOB_REQUEST -> onJobRequest(msg, env, crawlerId);
        case JOB_STARTED, JOB_PROGRESS, JOB_COMPLETED, JOB_FAILED -> onLifecycle(msg, c, crawlerId);
        case JOBS_DISCOVERED -> onJobsDiscovered(msg, env, crawlerId);
        case DISCOVERY -> onDiscovery(msg, env, crawlerId);
        case TOKEN_REFRESH_REQUEST -> onTokenRefresh(msg, env, crawlerId);
        default -> throw new ProtocolException(ErrorCode.UNKNOWN_TYPE,
            "type: the jobs service does not handle '" + type.wire() + "'");
      }
    } catch (ProtocolException e) {
      replyError(msg, e);
    } catch (RuntimeException e) {
      LOG.error("Failed to handle {} from crawler {} (job {})", type, crawlerId, jobId, e);
      replyError(msg, new ProtocolException(ErrorCode.INTERNAL, "internal error handling "
          + (type == null ? "a message" : type.wire())));
    }
  }

  private static String crawlerId(Message<?> msg) {
    String c = msg.headers().get(Addresses.Headers.CRAWLER_ID);
    if (c == null || c.isEmpty()) {
      c = msg.headers().get(Addresses.Headers.CONNECTION_ID);
    }
    return c == null ? "unknown" : c;
  }

  private static final Replier NO_REPLY = body -> { };

  /** Replies are built fresh and never touched again, so the bus hands them over without a copy. */
  private static final DeliveryOptions REPLY = LocalJsonCodec.options();

  private static void replyFrames(Replier msg, JsonObject... frames) {
    if (frames.length == 0) {
      msg.reply(BusReplies.NO_FRAMES);
      return;
    }
    msg.reply(new JsonObject().put("frames", new JsonArray(Arrays.asList((Object[]) frames))));
  }

  private static void replyError(Replier msg, ProtocolException e) {
    msg.reply(new JsonObject().put("error", new JsonObject().put("code", e.code().name()).put("message", e.getMessage())));
  }

  private static void replyError(Replier msg, ErrorCode code, String message) {
    replyError(msg, new ProtocolException(code, message));
  }

  // --------------------------------------------------------------- job_request

  private void onJobRequest(Replier msg, JsonObject env, String crawlerId) {
    JsonObject data = env.getJsonObject("data", new JsonObject());
    int n = cfg.maxJobsPerRequest();
    if (data.getValue("maxJobs") instanceof Number max) {
      n = Math.max(0, Math.min(n, max.intValue()));
    }
    if (n == 0) {
      replyFrames(msg, Frames.jobResponse(new JsonArray()));
      return;
    }
    int want = n;
    // A crawler's requests are claimed one after the other, so its lease count cannot be raced, and
    // after its earlier lifecycle messages are durable: a job_completed sent just before a
    // job_request frees its slot for that request (messages are forwarded without waiting).
    Future<Void> prev = claimChains.getOrDefault(crawlerId, Future.succeededFuture());
    Future<Void> earlierWrites = crawlerWrites.getOrDefault(crawlerId, Future.succeededFuture());
    long arrived = System.nanoTime();
    Future<Void> next = prev.transform(x -> earlierWrites).transform(x -> claim(msg, crawlerId, want))
        .onComplete(x -> jobRequests.record(System.nanoTime() - arrived, TimeUnit.NANOSECONDS));
    claimChains.put(crawlerId, next);
    next.onComplete(x -> claimChains.remove(crawlerId, next));
  }

  /** Queues a claim; the returned future completes once the crawler has its job_response. */
  private Future<Void> claim(Replier msg, String crawlerId, int n) {
    ClaimRequest r = new ClaimRequest(msg, crawlerId, n, Promise.promise());
    claimQueue.add(r);
    if (!claiming) {
      runClaims();
    }
    return r.answered().future();
  }

  /**
   * Runs the queued claims, all of them (up to {@value #CLAIM_BATCH} crawlers) in one statement,
   * one statement at a time: a single request goes at once, and the requests arriving while a
   * statement runs wait for it and then go together. Fifty crawlers asking at the same moment
   * used to be fifty statements queueing for the pool's connections and skipping each other's
   * locked rows at the head of the queue.
   */
  private void runClaims() {
    if (claimQueue.isEmpty()) {
      claiming = false;
      return;
    }
    claiming = true;
    List<ClaimRequest> batch = new ArrayList<>();
    Set<String> crawlers = new HashSet<>();
    for (Iterator<ClaimRequest> it = claimQueue.iterator(); it.hasNext() && batch.size() < CLAIM_BATCH; ) {
      ClaimRequest r = it.next();
      if (crawlers.add(r.crawlerId())) { // one row per crawler: its lease count is read once per statement
        batch.add(r);
        it.remove();
      }
    }
    List<String> ids = new ArrayList<>(batch.size());
    List<Integer> wants = new ArrayList<>(batch.size());
    batch.forEach(r -> {
      ids.add(r.crawlerId());
      wants.add(r.want());
    });
    long leaseMs = cfg.heartbeatTimeout() + cfg.leaseGrace();
    long started = System.nanoTime();
    String token = UUID.randomUUID().toString();
    jobs.claim(ids, wants, cfg.maxConcurrentJobs(), leaseMs, nodeId, token).onComplete(ar -> {
      try {
        if (ar.failed()) {
          LOG.warn("job_request of {} crawler(s) ({}...): claim failed ({})", batch.size(), ids.get(0),
              PgErrors.describe(ar.cause()));
          if (PgErrors.mayHaveRun(ar.cause())) { // it may have committed before the connection broke
            unsettledClaims.put(token, ids);
            settleClaims(0);
          }
        } else {
          BatchMetrics.record("claim", batch.size(), System.nanoTime() - started);
          answerClaims(batch, ar.result());
        }
      } catch (RuntimeException e) {
        LOG.error("job_request of {} crawler(s) ({}...): answering the claim failed", batch.size(), ids.get(0), e);
      } finally {
        // whoever is still waiting gets an empty job_response and the reason; the next claims go on
        for (ClaimRequest r : batch) {
          if (!r.answered().future().isComplete()) {
            replyFrames(r.msg(), Frames.jobResponse(new JsonArray()), Frames.error(ErrorCode.INTERNAL,
                "database unavailable: no jobs can be handed out right now, retry later", "job_request", null));
            r.answered().complete();
          }
        }
        runClaims();
      }
    });
  }

  private void answerClaims(List<ClaimRequest> batch, RowSet<Row> rows) {
    Map<String, JsonArray> byCrawler = new HashMap<>();
    String at = Instant.now().toString();
    for (Row r : rows) {
      String id = r.getString("id");
      String crawlerId = r.getString("lease_owner");
      int attempt = r.getInteger("attempt");
      int max = r.getInteger("max_attempts");
      cache.put(id, new LeaseCache.Entry("assigned", crawlerId, attempt, max));
      JsonObject simple = new JsonObject().put("id", id).put("entityType", r.getString("entity_type"))
          .put("entityId", r.getString("entity_id")).put("gitlabUrl", r.getString("gitlab_url"))
          .put("accessToken", r.getString("access_token"));
      Object resume = r.getJson("resume_state");
      if (resume != null) {
        simple.put("resumeState", resume);
      }
      byCrawler.computeIfAbsent(crawlerId, k -> new JsonArray()).add(simple);
      publish(event(id, "queued", "assigned", attempt, max, crawlerId, "job_request", null, at));
    }
    for (ClaimRequest r : batch) {
      JsonArray out = byCrawler.getOrDefault(r.crawlerId(), new JsonArray());
      if (!out.isEmpty()) {
        LOG.debug("Crawler {} claimed {} jobs", r.crawlerId(), out.size());
      }
      replyFrames(r.msg(), Frames.jobResponse(out));
      r.answered().complete();
    }
  }

  // --------------------------------------------------------------- lifecycle

  private void onLifecycle(Replier msg, JobCommand c, String crawlerId) {
    String type = c.type().wire();
    String jobId = c.jobId();
    if (jobId == null) {
      throw new ProtocolException(ErrorCode.MISSING_JOB_ID, "jobId: required for " + type);
    }
    JsonObject data = c.data() != null ? c.data() : new JsonObject();
    JsonObject resume = c.resumeState();
    LeaseCache.Entry e = cache.get(jobId);
    if (e != null && (loading.isEmpty() || !loading.containsKey(jobId))) {
      lifecycle(msg, type, jobId, data, resume, crawlerId, e);
      return;
    }
    lease(jobId).onComplete(ar -> {
      if (ar.failed()) {
        replyError(msg, ErrorCode.INTERNAL, "database unavailable: cannot check the lease of job " + jobId);
      } else if (ar.result() == null) {
        replyError(msg, ErrorCode.UNKNOWN_JOB, "job " + jobId + " does not exist");
      } else {
        try {
          lifecycle(msg, type, jobId, data, resume, crawlerId, ar.result());
        } catch (ProtocolException pe) {
          replyError(msg, pe);
        }
      }
    });
  }

  /** The cached lease, loading it once on a miss (concurrent misses share the load, in order). */
  private Future<LeaseCache.Entry> lease(String jobId) {
    Future<LeaseCache.Entry> inFlight = loading.get(jobId);
    if (inFlight != null) {
      return inFlight;
    }
    LeaseCache.Entry e = cache.get(jobId);
    if (e != null) {
      return Future.succeededFuture(e);
    }
    Future<LeaseCache.Entry> f = jobs.loadLease(jobId)
        .map(row -> row == null ? null : cache.putIfAbsent(jobId, LeaseCache.Entry.of(row)));
    loading.put(jobId, f);
    f.onComplete(x -> loading.remove(jobId, f));
    return f;
  }

  private void lifecycle(Replier msg, String type, String jobId, JsonObject data, JsonObject resume,
      String crawlerId, LeaseCache.Entry e) {
    if (!crawlerId.equals(e.owner())) {
      throw new ProtocolException(ErrorCode.STALE_LEASE, "job " + jobId + " is not leased to crawler "
          + crawlerId + " (it is " + e.status() + (e.owner() == null ? ")" : " under another lease)"));
    }
    if (!e.active()) {
      throw new ProtocolException(ErrorCode.ILLEGAL_TRANSITION, "job " + jobId + " is " + e.status()
          + "; " + type + " is not allowed");
    }
    switch (type) {
      case "job_started" -> {
        if ("running".equals(e.status())) {
          replyFrames(msg); // a repeated job_started changes nothing
        } else {
          transition(msg, e, jobId, "running", crawlerId, type, null, null, null);
        }
      }
      case "job_progress" -> {
        if ("assigned".equals(e.status())) {
          transition(msg, e, jobId, "running", crawlerId, type, null,
              data.copy().put("updatedAt", Instant.now().toString()), resume);
        } else {
          recordProgress(jobId, crawlerId, e.attempt(), data, resume);
          replyFrames(msg);
        }
      }
      case "job_completed" -> {
        Object success = data.getValue("success");
        if (!(success instanceof Boolean)) {
          throw new ProtocolException(ErrorCode.VALIDATION_FAILED, "data.success: required boolean");
        }
        JsonObject progress = new JsonObject();
        if (data.getValue("finalCounts") instanceof JsonObject counts) {
          progress.put("finalCounts", counts);
        }
        if (data.getValue("outputFiles") instanceof JsonArray files) {
          progress.put("outputFiles", files);
        }
        if ((Boolean) success) {
          transition(msg, e, jobId, "completed", crawlerId, type, null, progress, null);
        } else {
          String message = data.getValue("message") instanceof String s ? s : "job_completed with success=false";
          JsonObject details = new JsonObject().put("recoverable", true).put("error", message)
              .put("errorType", "completed_unsuccessfully");
          transition(msg, e, jobId, "failed", crawlerId, type, details, progress, null);
        }
      }
      case "job_failed" -> {
        String error = data.getValue("error") instanceof String s ? s : "unspecified error";
        boolean recoverable = !(data.getValue("isRecoverable") instanceof Boolean b) || b;
        JsonObject details = new JsonObject().put("recoverable", recoverable).put("error", error)
            .put("errorType", data.getValue("errorType") instanceof String s ? s : null);
        JsonObject progress = new JsonObject();
        if (data.getValue("partialCounts") instanceof JsonObject counts) {
          progress.put("partialCounts", counts);
        }
        transition(msg, e, jobId, "failed", crawlerId, type, details, progress, resume);
      }
      default -> throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, "type: " + type);
    }
  }

  /**
   * A job_progress the router accepted from the lease view ({@link LeaseView}): recorded for the
   * flush if the lease it was accepted under is still the job's (else the job moved on since, as if
   * the progress had come just before: nothing to keep; the flush is fenced in SQL as well).
   */
  private void recordAccepted(JobCommand c, String crawlerId) {
    LeaseCache.Entry e = c.jobId() == null ? null : cache.get(c.jobId());
    if (e != null && "running".equals(e.status()) && e.attempt() == c.acceptedAttempt()
        && crawlerId.equals(e.owner())) {
      recordProgress(c.jobId(), crawlerId, c.acceptedAttempt(), c.data() != null ? c.data() : new JsonObject(),
          c.resumeState());
    }
  }

  private void recordProgress(String jobId, String owner, int attempt, JsonObject progress, JsonObject resume) {
    ProgressSlot slot = pendingProgress.get(jobId);
    if (slot == null || slot.attempt != attempt || !slot.owner.equals(owner)) {
      slot = new ProgressSlot(owner, attempt);
      pendingProgress.put(jobId, slot);
    }
    slot.progress = progress;
    if (resume != null) {
      slot.resume = resume; // the latest resume state wins; a message without one keeps the previous
    }
    slot.atMillis = System.currentTimeMillis();
  }

  /**
   * Queues a fenced transition. While the database is healthy the reply waits for the commit (so a
   * lease lost on another node is still reported); while it is down the reply is sent as soon as
   * the write is buffered, and the write is replayed when the database is back.
   */
  private void transition(Replier msg, LeaseCache.Entry e, String jobId, String to, String crawlerId,
      String reason, JsonObject details, JsonObject progress, JsonObject resume) {
    ProgressSlot pending = pendingProgress.remove(jobId);
    if (pending == null) {
      pending = flushingProgress.get(jobId); // taken by a flush still in flight, which may skip the row
    }
    if (pending != null && pending.attempt == e.attempt()) {
      JsonObject latest = pending.progressWithTime();
      progress = progress == null ? latest : latest.mergeIn(progress);
      resume = resume != null ? resume : pending.resume;
    }
    Transition t = new Transition(jobId, e.status(), to, e.attempt(), crawlerId, reason, nodeId, details,
        progress == null || progress.isEmpty() ? null : progress, resume);
    WriteBuffer.Submission<TransitionResult> s;
    try {
      s = buffer.submit(jobId, conn -> jobs.applyTransition(conn, t));
    } catch (WriteBuffer.BufferFullException full) {
      if (pending != null) {
        pendingProgress.putIfAbsent(jobId, pending);
      }
      replyError(msg, ErrorCode.INTERNAL, full.getMessage() + "; resend later");
      return;
    }
    cache.setStatus(jobId, e, to);
    Promise<Void> settled = Promise.promise();
    s.committed().onComplete(x -> settled.tryComplete());
    s.delayed().onComplete(x -> settled.tryComplete());
    Future<Void> before = crawlerWrites.get(crawlerId);
    Future<Void> barrier = before == null ? settled.future() : Future.join(before, settled.future()).mapEmpty();
    crawlerWrites.put(crawlerId, barrier);
    barrier.onComplete(x -> crawlerWrites.remove(crawlerId, barrier));
    boolean[] replied = {false};
    s.delayed().onSuccess(v -> {
      if (!replied[0]) {
        replied[0] = true;
        replyFrames(msg);
      }
    });
    s.committed().onComplete(ar -> {
      if (ar.succeeded() && ar.result().applied()) {
        TransitionResult r = ar.result();
        e.maxAttempts = r.maxAttempts() > 0 ? r.maxAttempts() : e.maxAttempts;
        publish(event(jobId, t.from(), to, t.attempt(), e.maxAttempts, crawlerId, reason, details, Instant.now().toString()));
        if (!replied[0]) {
          replied[0] = true;
          replyFrames(msg);
        }
        return;
      }
      String why;
      if (ar.succeeded()) {
        TransitionResult r = ar.result();
        why = r.message();
        if (r.status() == null) {
          cache.remove(jobId);
        } else {
          cache.put(jobId, new LeaseCache.Entry(r.status(), r.owner(), r.attempt(), e.maxAttempts));
        }
        if (!replied[0]) {
          replied[0] = true;
          replyError(msg, r.code(), r.message());
          return;
        }
      } else {
        cache.remove(jobId);
        why = PgErrors.describe(ar.cause());
        if (!replied[0]) {
          replied[0] = true;
          replyError(msg, ErrorCode.INTERNAL, "could not record " + reason + " for job " + jobId);
          return;
        }
      }
      // The crawler was already told "accepted" while the database was down: say so to the error manager.
      LOG.warn("Buffered {} of job {} by crawler {} was not applied on replay: {}", reason, jobId, crawlerId, why);
      JsonObject report = new JsonObject().put("message", "buffered " + reason + " not applied on replay: " + why)
          .put("source", "jobs").put("crawlerId", crawlerId).put("jobId", jobId).put("nodeId", nodeId)
          .put("refType", reason).put("at", Instant.now().toString());
      if (ar.succeeded() && ar.result().code() != null) {
        report.put("code", ar.result().code().name());
      } else {
        report.put("category", "database").put("severity", "high");
      }
      vertx.eventBus().send(Addresses.ERRORS_REPORT, report);
    });
  }

  // --------------------------------------------------------------- progress + heartbeat flush

  /** Everything pending (shutdown). */
  private Future<Void> flush() {
    return flush(-1);
  }

  /**
   * Writes the pending progress of the jobs of {@code phase} ({@link #FLUSH_PHASES}; -1 = all) and,
   * at phase 0 or -1, the pending heartbeats. Nothing while a flush is in flight: what it skips goes
   * with that phase's next turn, one interval later.
   */
  private Future<Void> flush(int phase) {
    if (flushing) {
      return Future.succeededFuture();
    }
    List<Future<?>> work = new ArrayList<>();
    if (!pendingProgress.isEmpty()) {
      List<PendingProgress> batch = new ArrayList<>();
      Map<String, ProgressSlot> slots = new HashMap<>();
      // Progress extends a lease (SPEC §2.1) unless its crawler is gone: then leaseGrace runs out.
      long extend = cfg.heartbeatTimeout() + cfg.leaseGrace();
      for (Iterator<Map.Entry<String, ProgressSlot>> it = pendingProgress.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<String, ProgressSlot> en = it.next();
        if (phase < 0 || Math.floorMod(en.getKey().hashCode(), FLUSH_PHASES) == phase) {
          ProgressSlot slot = en.getValue();
          batch.add(slot.toPending(en.getKey(), gone.containsKey(slot.owner) ? 0 : extend));
          slots.put(en.getKey(), slot);
          it.remove();
        }
      }
      flushingProgress = slots; // a transition meanwhile still merges the latest progress
      for (int i = 0; i < batch.size(); i += FLUSH_CHUNK) {
        List<PendingProgress> chunk = batch.subList(i, Math.min(batch.size(), i + FLUSH_CHUNK));
        long started = System.nanoTime();
        work.add(jobs.flushProgress(chunk)
            .onSuccess(written -> {
              BatchMetrics.record("progress", chunk.size(), System.nanoTime() - started);
              cutLeasesOfCrawlersGoneDuring(chunk);
              // not written: a row a transition's transaction held (the next flush writes it, unless
              // a newer update is pending), or the job left this lease (dropped: a transition took
              // the progress along, or the lease is someone else's now)
              for (PendingProgress p : chunk) {
                ProgressSlot slot = slots.get(p.jobId());
                LeaseCache.Entry e = written.contains(p.jobId()) ? null : cache.get(p.jobId());
                if (e != null && "running".equals(e.status()) && e.attempt() == slot.attempt
                    && slot.owner.equals(e.owner())) {
                  pendingProgress.putIfAbsent(p.jobId(), slot);
                }
              }
            })
            .onFailure(err -> {
              if (PgErrors.isTransient(err)) {
                // Database away: keep what failed unless a newer update arrived; it goes with the next flush.
                chunk.forEach(p -> pendingProgress.putIfAbsent(p.jobId(), slots.get(p.jobId())));
                LOG.debug("Progress flush of {} jobs failed: {}", chunk.size(), PgErrors.describe(err));
              } else {
                LOG.error("Progress flush of {} jobs dropped: {}", chunk.size(), PgErrors.describe(err));
              }
            }));
      }
    }
    if (phase <= 0 && !pendingHeartbeats.isEmpty()) {
      List<CrawlerSessionRepository.Heartbeat> hb = new ArrayList<>(pendingHeartbeats.values());
      pendingHeartbeats.clear();
      work.add(sessions.heartbeats(hb).onFailure(err ->
          hb.forEach(h -> pendingHeartbeats.putIfAbsent(h.connectionId(), h))));
    }
    if (work.isEmpty()) {
      return Future.succeededFuture();
    }
    flushing = true;
    return Future.join(work).transform(x -> {
      flushing = false;
      flushingProgress = Map.of();
      return Future.succeededFuture();
    });
  }

  /**
   * A flush built while a crawler was still connected extends its leases; if the crawler left while
   * the flush was under way, that extension may have landed after its disconnect cut the leases to
   * leaseGrace, and they would run to now + heartbeatTimeout + leaseGrace instead (seen as a crashed
   * crawler's job requeued ~90 s late). Cut them again.
   */
  private void cutLeasesOfCrawlersGoneDuring(List<PendingProgress> flushed) {
    Set<String> goneNow = new TreeSet<>();
    for (PendingProgress p : flushed) {
      if (p.extendLeaseMs() > 0 && gone.containsKey(p.owner())) {
        goneNow.add(p.owner());
      }
    }
    if (!goneNow.isEmpty()) {
      leaseWrite(new ArrayList<>(goneNow), cfg.leaseGrace(), "disconnected");
    }
  }

  /** A router partition's batch of the latest heartbeat per connection ({@code hub.crawler.heartbeats}). */
  private void onHeartbeats(Message<JsonObject> msg) {
    if (msg.body() != null && msg.body().getValue("heartbeats") instanceof JsonArray list) {
      for (Object o : list) {
        if (o instanceof JsonObject hb) {
          onHeartbeat(hb.getString("nodeId"), hb.getString("connectionId"),
              hb.getValue("envelope") instanceof JsonObject env ? env : null);
        }
      }
    }
  }

  private void onHeartbeat(String nid, String connectionId, JsonObject envelope) {
    if (connectionId == null || (nid != null && !nid.equals(nodeId))) {
      return;
    }
    JsonObject data = envelope != null && envelope.getValue("data") instanceof JsonObject d ? d : null;
    String status = data != null && data.getValue("systemStatus") instanceof String s ? s : null;
    Integer active = data != null && data.getValue("activeJobs") instanceof Number a ? a.intValue() : null;
    Long processed = data != null && data.getValue("totalProcessed") instanceof Number p ? p.longValue() : null;
    long now = System.currentTimeMillis();
    SessionMark mark = sessionMarks.get(connectionId);
    if (mark != null && mark.holds(status, active, processed) && now - mark.writtenAtMs < sessionTouchMs()) {
      return; // the row already says so; last_seen_at moves at most every sessionTouchMs
    }
    if (mark == null && connections.containsKey(connectionId)) {
      sessionMarks.put(connectionId, mark = new SessionMark());
    }
    if (mark != null) {
      mark.status = status;
      mark.active = active;
      mark.processed = processed;
      mark.writtenAtMs = now;
    }
    pendingHeartbeats.put(connectionId, new CrawlerSessionRepository.Heartbeat(connectionId, status, active, processed,
        OffsetDateTime.now(ZoneOffset.UTC)));
  }

  /**
   * How far behind a live session's {@code last_seen_at} may fall when its heartbeats change
   * nothing else: a third of heartbeatTimeout, at most 30 s — so "seen within heartbeatTimeout"
   * still tells a live session from a dead one, and 10,000 idle crawlers beating every 5 s are not
   * 2,000 row updates a second (the hub's own liveness view is in memory and always current).
   */
  private long sessionTouchMs() {
    return Math.min(30_000, cfg.heartbeatTimeout() / 3);
  }

  // --------------------------------------------------------------- leases, sessions

  /** A connection no longer counts for its crawler (null: nothing to forget). */
  private void forget(Connection c) {
    if (c != null) {
      connectionsPerCrawler.computeIfPresent(c.crawlerId(), (k, n) -> n == 1 ? null : n - 1);
    }
  }

  private void onCrawlerEvent(JsonObject ev) {
    if (ev == null || stopped) {
      return;
    }
    String event = ev.getString("event");
    String connectionId = ev.getString("connectionId");
    String nid = ev.getString("nodeId");
    boolean local = nid == null || nid.equals(nodeId);
    OffsetDateTime at = OffsetDateTime.now(ZoneOffset.UTC);
    if (event == null || connectionId == null) {
      return;
    }
    switch (event) {
      case "connected", "authenticated" -> {
        String crawlerId = ev.getString("crawlerId", connectionId);
        forget(connections.put(connectionId, new Connection(crawlerId, local, nid)));
        connectionsPerCrawler.merge(crawlerId, 1, Integer::sum);
        gone.remove(crawlerId);
        if (local) {
          sessions.open(connectionId, crawlerId, nid, ev.getString("transport"), ev.getString("version"),
              ev.getValue("capabilities") instanceof JsonArray a ? a : null, at)
              .onFailure(err -> LOG.warn("crawler_sessions: could not record {} of {}: {}", event, connectionId,
                  PgErrors.describe(err)));
          // A reconnect within leaseGrace keeps the crawler's leases: push the pending expiry out again.
          leaseWrite(List.of(crawlerId), cfg.heartbeatTimeout() + cfg.leaseGrace(), event);
        }
      }
      case "disconnected", "heartbeat_timeout" -> {
        Connection c = connections.remove(connectionId);
        forget(c);
        sessionMarks.remove(connectionId);
        String crawlerId = ev.getString("crawlerId", c == null ? connectionId : c.crawlerId());
        boolean last = !connectionsPerCrawler.containsKey(crawlerId);
        if (last) {
          gone.put(crawlerId, nid == null ? nodeId : nid);
        }
        if (local) {
          sessions.close(connectionId, crawlerId, nid, ev.getString("transport"), at, ev.getString("reason", event))
              .onFailure(err -> LOG.warn("crawler_sessions: could not record {} of {}: {}", event, connectionId,
                  PgErrors.describe(err)));
          if (last) {
            leaseWrite(List.of(crawlerId), cfg.leaseGrace(), event);
          }
        }
      }
      default -> {
        // rejected / error events do not touch leases
      }
    }
  }

  /**
   * A node that left the cluster (stopped, or died) announced no disconnects: its connections are
   * closed now, as far as this node is concerned. A crawler of that node connected nowhere else is
   * gone from this moment, and so is one that had left that node but whose expiry that node may not
   * have written before it died: their leases are cut to {@code leaseGrace} from now (SPEC: they
   * expire leaseGrace after the connection closed), not left to run out at that node's last renewal
   * ({@code heartbeatTimeout + leaseGrace} after it). The cut never extends a lease; every remaining
   * node makes the same one. The node's open sessions are closed.
   */
  private void onNodeLeft(String left) {
    if (left == null || left.equals(nodeId) || stopped) {
      return;
    }
    Set<String> crawlers = new TreeSet<>();
    var it = connections.values().iterator();
    while (it.hasNext()) {
      Connection c = it.next();
      if (left.equals(c.nodeId())) {
        it.remove();
        forget(c);
        crawlers.add(c.crawlerId());
      }
    }
    crawlers.removeIf(connectionsPerCrawler::containsKey); // connected here or on another node
    crawlers.forEach(c -> gone.put(c, left));
    gone.forEach((crawler, lastNode) -> {
      if (left.equals(lastNode)) {
        crawlers.add(crawler);
      }
    });
    LOG.info("Node {} left the cluster: leases of {} crawlers last connected there expire within {} ms",
        left, crawlers.size(), cfg.leaseGrace());
    leaseWrite(new ArrayList<>(crawlers), cfg.leaseGrace(), "node_left");
    sessions.closeNode(left, "node_left").onFailure(err -> LOG.warn("crawler_sessions: could not close the sessions of node {}: {}",
        left, PgErrors.describe(err)));
  }

  /**
   * How often the leases of this node's crawlers are renewed: every {@code heartbeatInterval}, and
   * at least twice per {@code leaseGrace}, so a lease another node cut to {@code leaseGrace} (its
   * late disconnect or node-left write racing this node's reconnect write) is renewed before it runs out.
   */
  static long renewalInterval(HubConfig cfg) {
    long interval = cfg.heartbeatInterval();
    if (cfg.leaseGrace() > 0) {
      interval = Math.min(interval, cfg.leaseGrace() / 2);
    }
    return Math.max(100, interval);
  }

  /** Lease expiry writes are serialised so a late renewal cannot overtake a disconnect. */
  private void leaseWrite(List<String> crawlerIds, long ms, String why) {
    if (crawlerIds.isEmpty()) {
      return;
    }
    leaseWrites = leaseWrites.transform(x -> setLeaseExpiry(crawlerIds, ms, why, 3)
        .onFailure(err -> LOG.warn("Could not set lease expiry ({}) for {} crawlers: {}", why, crawlerIds.size(),
            PgErrors.describe(err))));
  }

  /** Retries a transient failure (e.g. a deadlock with a batch touching the same rows) a few times. */
  private Future<Integer> setLeaseExpiry(List<String> crawlerIds, long ms, String why, int tries) {
    Future<Integer> write = switch (why) {
      case "renewal" -> jobs.renewLeases(crawlerIds, ms); // skips rows a transition holds (JobRepository.RENEW_LEASES)
      case "node_left" -> jobs.capLeaseExpiry(crawlerIds, ms);
      default -> jobs.setLeaseExpiry(crawlerIds, ms);
    };
    return write.recover(err -> tries > 1 && PgErrors.isTransient(err) && !stopped
        ? vertx.timer(100).compose(v -> setLeaseExpiry(crawlerIds, ms, why, tries - 1))
        : Future.failedFuture(err));
  }

  private void renewLocalLeases() {
    Set<String> local = new TreeSet<>();
    connections.values().forEach(c -> {
      if (c.local()) {
        local.add(c.crawlerId());
      }
    });
    leaseWrite(new ArrayList<>(local), cfg.heartbeatTimeout() + cfg.leaseGrace(), "renewal");
  }

  private void scan() {
    if (scanning || stopped || !buffer.healthy()) {
      return; // replay buffered lifecycle writes before judging leases
    }
    scanning = true;
    scanner.scan().onComplete(ar -> {
      scanning = false;
      if (ar.failed()) {
        LOG.debug("Lease scan failed: {}", PgErrors.describe(ar.cause()));
        return;
      }
      for (ExpiredJob x : ar.result()) {
        if (!"retry".equals(x.reason())) {
          leaseExpiries.increment();
          LOG.info("Lease of job {} (crawler {}) {}: {} -> {} attempt {}", x.jobId(), x.crawlerId(),
              "stuck".equals(x.reason()) ? "timed out" : "expired", x.from(), x.to(), x.attempt());
        }
      }
      applyMoves(ar.result());
    });
  }

  /** Moves made in the database by a statement over many jobs: into the cache (if later), then published. */
  private void applyMoves(List<ExpiredJob> moves) {
    String at = Instant.now().toString();
    for (ExpiredJob x : moves) {
      // a claim of the requeued job on another connection may have been answered first: keep it
      if (cache.advance(x.jobId(), new LeaseCache.Entry(x.to(), null, x.attempt(), x.maxAttempts()))) {
        ProgressSlot slot = pendingProgress.get(x.jobId());
        if (slot != null && slot.attempt <= x.attempt()) {
          pendingProgress.remove(x.jobId());
        }
      }
      publish(event(x.jobId(), x.from(), x.to(), x.attempt(), x.maxAttempts(), x.crawlerId(), x.reason(), null, at));
    }
  }

  /**
   * Claim statements that failed on a broken connection may have committed: their jobs would stay
   * assigned to crawlers that were answered "no jobs" (and renew those leases until jobTimeout). Once
   * PostgreSQL answers again, they are released in one statement per round
   * ({@link JobRepository#RELEASE_UNANSWERED_CLAIMS}; nothing when the claim never ran).
   */
  private void settleClaims(int failures) {
    if (settlingClaims || unsettledClaims.isEmpty() || stopped) {
      return;
    }
    settlingClaims = true;
    Map<String, List<String>> round = new LinkedHashMap<>(unsettledClaims);
    Set<String> crawlers = new TreeSet<>();
    round.values().forEach(crawlers::addAll);
    long delayMs = failures == 0 ? 0 : Math.min(5000L, 100L << Math.min(failures, 6));
    vertx.timer(Math.max(1, delayMs))
        .compose(v -> jobs.releaseUnansweredClaims(new ArrayList<>(crawlers), new ArrayList<>(round.keySet()), nodeId))
        .onComplete(ar -> {
          settlingClaims = false;
          if (ar.failed()) {
            settleClaims(failures + 1);
            return;
          }
          round.keySet().forEach(unsettledClaims::remove);
          for (ExpiredJob x : ar.result()) {
            LOG.warn("Job {} was claimed for crawler {} but the answer was lost with the database connection: "
                + "back in the queue (attempt {})", x.jobId(), x.crawlerId(), x.attempt());
          }
          applyMoves(ar.result());
          settleClaims(0); // claims that failed meanwhile
        });
  }

  /** Keeps the cache in step with transitions made by other nodes. */
  private void onJobEvent(JsonObject ev) {
    if (ev == null || nodeId.equals(ev.getString("nodeId"))) {
      return;
    }
    String jobId = ev.getString("jobId");
    LeaseCache.Entry e = jobId == null ? null : cache.get(jobId);
    if (e == null) {
      return;
    }
    String to = ev.getString("to");
    String owner = e.owner();
    if ("assigned".equals(to)) {
      owner = ev.getString("crawlerId");
    } else if ("queued".equals(to)) {
      owner = null;
    }
    cache.follow(jobId, e, to, ev.getInteger("attempt", e.attempt()), owner);
  }

  /**
   * Every cleanupInterval (SPEC §6): finished jobs and closed crawler sessions older than
   * maxJobAge, in bounded batches.
   */
  private void cleanUp() {
    prune("finished jobs", () -> jobs.pruneFinished(cfg.maxJobAge(), PRUNE_BATCH));
    prune("closed crawler sessions", () -> sessions.pruneClosed(cfg.maxJobAge(), PRUNE_BATCH));
  }

  /** Runs a pruning statement until it deletes less than a batch (one batch per statement: short locks). */
  private void prune(String what, Supplier<Future<Integer>> batch) {
    batch.get().onComplete(ar -> {
      if (ar.succeeded() && ar.result() > 0) {
        LOG.info("Pruned {} {} older than {} ms", ar.result(), what, cfg.maxJobAge());
        if (ar.result() == PRUNE_BATCH && !stopped) {
          prune(what, batch);
        }
      } else if (ar.failed()) {
        LOG.debug("Pruning {} failed: {}", what, PgErrors.describe(ar.cause()));
      }
    });
  }

  private void refreshGauges() {
    jobs.stats().onSuccess(m -> STATUSES.forEach(st -> BY_STATUS.get(st).set(m.getOrDefault(st, 0L))));
  }

  // --------------------------------------------------------------- discovery

  private void onJobsDiscovered(Replier msg, JsonObject env, String crawlerId) {
    String jobId = env.getValue("jobId") instanceof String s ? s : null;
    if (jobId == null) {
      throw new ProtocolException(ErrorCode.MISSING_JOB_ID, "jobId: required for jobs_discovered");
    }
    JsonObject data = env.getValue("data") instanceof JsonObject d ? d : new JsonObject();
    // Schema errors come before state errors (SPEC §1.5), but the lease is judged as of the
    // message's arrival (a snapshot, synchronous when cached) so a job_completed right behind it
    // cannot make it stale. Building the rows is CPU work for large discoveries: off the event loop.
    Future<String[]> leaseAtArrival = lease(jobId).map(e -> e == null ? null : new String[] {e.status(), e.owner()});
    Future<DiscoveryPlan> planned = vertx.executeBlocking(
        () -> DiscoveryPlan.fromJobsDiscovered(jobId, data, cfg.discoveryFanOut()), false);
    Future.join(leaseAtArrival, planned).onComplete(x -> {
      if (planned.failed()) {
        replyError(msg, planned.cause() instanceof ProtocolException pe ? pe
            : new ProtocolException(ErrorCode.INTERNAL, "could not read the discovery of job " + jobId));
        return;
      }
      if (leaseAtArrival.failed()) {
        replyError(msg, ErrorCode.INTERNAL, "database unavailable: cannot check the lease of job " + jobId);
        return;
      }
      String[] lease = leaseAtArrival.result();
      if (lease == null) {
        replyError(msg, ErrorCode.UNKNOWN_JOB, "job " + jobId + " does not exist");
      } else if (!crawlerId.equals(lease[1])) {
        replyError(msg, ErrorCode.STALE_LEASE, "job " + jobId + " is not leased to crawler " + crawlerId);
      } else if (!"assigned".equals(lease[0]) && !"running".equals(lease[0])) {
        replyError(msg, ErrorCode.ILLEGAL_TRANSITION, "job " + jobId + " is " + lease[0]
            + "; jobs_discovered is accepted only while it is assigned or running");
      } else {
        storeDiscovery(msg, jobId, crawlerId, planned.result());
      }
    });
  }

  /**
   * Stores a discovery in one transaction. If PostgreSQL is unavailable the discovery is kept and
   * stored when it is back (SPEC §7: writes are queued while the database is down, never dropped;
   * the store is idempotent, so a commit whose answer was lost is not doubled): the crawler is
   * answered at once, as for the lifecycle writes the write buffer holds, and the children's
   * events follow when they exist. At most {@link #MAX_DISCOVERIES_WAITING} wait; beyond that, or
   * for an error a retry cannot fix, the crawler is told INTERNAL ("resend later").
   */
  private void storeDiscovery(Replier msg, String parentId, String crawlerId, DiscoveryPlan plan) {
    long started = System.nanoTime();
    storeDiscoveryOnce(parentId, crawlerId, plan).onComplete(ar -> {
      if (ar.succeeded()) {
        discoveryStored(parentId, crawlerId, plan, ar.result(), started);
        replyFrames(msg);
      } else if (PgErrors.isTransient(ar.cause()) && !stopped && discoveriesWaiting < MAX_DISCOVERIES_WAITING) {
        discoveriesWaiting++;
        LOG.warn("jobs_discovered of job {} by crawler {} not stored yet ({}): kept, stored when PostgreSQL is back",
            parentId, crawlerId, PgErrors.describe(ar.cause()));
        replyFrames(msg);
        retryDiscovery(parentId, crawlerId, plan, started, 1);
      } else {
        LOG.warn("jobs_discovered of job {} by crawler {} failed: {}", parentId, crawlerId,
            PgErrors.describe(ar.cause()));
        replyError(msg, ErrorCode.INTERNAL, "could not store the discovery of job " + parentId + "; resend later");
      }
    });
  }

  private void retryDiscovery(String parentId, String crawlerId, DiscoveryPlan plan, long started, int n) {
    vertx.setTimer(Math.min(5000L, 100L << Math.min(n - 1, 6)), t -> {
      if (stopped) {
        discoveriesWaiting--;
        LOG.error("jobs_discovered of job {} by crawler {} was not stored before the hub stopped", parentId, crawlerId);
        return;
      }
      storeDiscoveryOnce(parentId, crawlerId, plan).onComplete(ar -> {
        if (ar.succeeded()) {
          discoveriesWaiting--;
          discoveryStored(parentId, crawlerId, plan, ar.result(), started);
        } else if (PgErrors.isTransient(ar.cause())) {
          retryDiscovery(parentId, crawlerId, plan, started, n + 1);
        } else {
          discoveriesWaiting--;
          LOG.error("jobs_discovered of job {} by crawler {} could not be stored: {}", parentId, crawlerId,
              PgErrors.describe(ar.cause()));
        }
      });
    });
  }

  private Future<List<Row>> storeDiscoveryOnce(String parentId, String crawlerId, DiscoveryPlan plan) {
    int maxAttempts = cfg.defaultMaxAttempts();
    return pool.withTransaction(conn -> AreaRepository.upsert(conn, plan.areas(), parentId)
        .compose(x -> plan.children().isEmpty() ? Future.succeededFuture(List.<Row>of())
            : jobs.insertChildren(conn, parentId, plan.children(), maxAttempts, crawlerId, nodeId))
        .compose(children -> (plan.fanOut().isEmpty() ? Future.succeededFuture(List.<Row>of())
            : jobs.insertChildren(conn, parentId, plan.fanOut(), maxAttempts, crawlerId, nodeId))
            .map(fan -> {
              List<Row> all = new ArrayList<>(children);
              all.addAll(fan);
              return all;
            }))
        .compose(created -> {
          JsonArray ids = new JsonArray();
          created.forEach(r -> ids.add(r.getString("id")));
          JsonObject summary = new JsonObject().put("summary", plan.summary())
              .put("discovered", plan.children().size()).put("at", Instant.now().toString());
          return jobs.recordDiscovery(conn, parentId, summary, ids).map(created);
        }));
  }

  private void discoveryStored(String parentId, String crawlerId, DiscoveryPlan plan, List<Row> created, long started) {
    String at = Instant.now().toString();
    List<JsonObject> events = new ArrayList<>(created.size());
    for (Row r : created) {
      events.add(event(r.getString("id"), null, "queued", r.getInteger("attempt"), r.getInteger("max_attempts"),
          crawlerId, "discovered", null, at));
    }
    publishAll(events, 0);
    LOG.info("Discovery of job {} by crawler {}: {} entries, {} areas, {} jobs created in {} ms", parentId,
        crawlerId, plan.children().size(), plan.areas().size(), created.size(),
        (System.nanoTime() - started) / 1_000_000);
  }

  private void onDiscovery(Replier msg, JsonObject env, String crawlerId) {
    JsonObject data = env.getValue("data") instanceof JsonObject d ? d : new JsonObject();
    List<AreaRepository.Area> areas = DiscoveryPlan.fromDiscovery(data);
    String by = env.getValue("jobId") instanceof String s ? s : crawlerId;
    AreaRepository.upsert(pool, areas, by).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("discovery from crawler {} failed: {}", crawlerId, PgErrors.describe(ar.cause()));
        replyError(msg, ErrorCode.INTERNAL, "could not store the discovered entities; resend later");
      } else {
        replyFrames(msg);
      }
    });
  }

  // --------------------------------------------------------------- token refresh

  private void onTokenRefresh(Replier msg, JsonObject env, String crawlerId) {
    String jobId = env.getValue("jobId") instanceof String s ? s : null;
    JsonObject data = env.getValue("data") instanceof JsonObject d ? d : new JsonObject();
    if (jobId == null) {
      replyFrames(msg, Frames.tokenRefreshResponse(null, "", false, null, "jobId: required for token_refresh_request"));
      return;
    }
    lease(jobId).transform(ar -> {
      if (ar.succeeded() && ar.result() == null) {
        return Future.failedFuture(new IllegalStateException("UNKNOWN_JOB: job " + jobId + " does not exist"));
      }
      if (ar.succeeded() && !crawlerId.equals(ar.result().owner())) {
        return Future.failedFuture(new IllegalStateException("STALE_LEASE: job " + jobId
            + " is not leased to crawler " + crawlerId));
      }
      JsonObject request = new JsonObject().put("jobId", jobId).put("crawlerId", crawlerId)
          .put("currentTokenExpired", data.getValue("current_token_expired"))
          .put("lastSuccessfulRequest", data.getValue("last_successful_request"))
          .put("errorDetails", data.getValue("error_details"));
      return tokens.refresh(request);
    }).onComplete(ar -> {
      if (ar.failed()) {
        String why = ar.cause().getMessage() == null ? ar.cause().getClass().getSimpleName() : ar.cause().getMessage();
        LOG.warn("Token refresh for job {} (crawler {}) failed: {}", jobId, crawlerId, why);
        replyFrames(msg, Frames.tokenRefreshResponse(jobId, "", false, null, "token refresh failed: " + why));
        return;
      }
      TokenRefresher.Token token = ar.result();
      OffsetDateTime expires = parseInstant(token.expiresAt());
      jobs.updateToken(jobId, token.accessToken(), expires)
          .onFailure(err -> LOG.warn("Refreshed token of job {} not stored: {}", jobId, PgErrors.describe(err)));
      LOG.info("Token of job {} refreshed for crawler {}", jobId, crawlerId);
      replyFrames(msg, Frames.tokenRefreshResponse(jobId, token.accessToken(), true,
          expires != null ? expires.toInstant().toString() : null, null));
    });
  }

  private static OffsetDateTime parseInstant(String s) {
    if (s == null) {
      return null;
    }
    try {
      return OffsetDateTime.parse(s);
    } catch (RuntimeException e) {
      return null;
    }
  }

  // =============================================================== API

  /** Keeps the cache and the bus in step with a move made by an API operation (already committed). */
  private void onApiMove(JobsApi.Moved m) {
    String id = m.job().getString("id");
    cache.put(id, new LeaseCache.Entry(m.to(), m.job().getString("leaseOwner"), m.attempt(), m.maxAttempts()));
    if (!"assigned".equals(m.to())) {
      pendingProgress.remove(id);
    }
    publish(event(id, m.from(), m.to(), m.attempt(), m.maxAttempts(), m.crawlerId(), m.reason(), m.details(),
        Instant.now().toString()));
  }

  private void updateGauges(JsonObject stats) {
    STATUSES.forEach(st -> BY_STATUS.get(st).set(stats.getLong(st, 0L)));
  }

  // =============================================================== events

  private JsonObject event(String jobId, String from, String to, int attempt, int maxAttempts, String crawlerId,
      String reason, JsonObject details, String at) {
    JsonObject ev = new JsonObject().put("jobId", jobId).put("from", from).put("to", to).put("attempt", attempt)
        .put("maxAttempts", maxAttempts).put("crawlerId", crawlerId).put("at", at).put("reason", reason)
        .put("nodeId", nodeId);
    if (details != null) {
      ev.put("details", details);
    }
    return ev;
  }

  /** Publishes many events a slice per event-loop turn, so a 10,000-job discovery does not block the loop. */
  private void publishAll(List<JsonObject> events, int from) {
    int to = Math.min(events.size(), from + 500);
    for (int i = from; i < to; i++) {
      publish(events.get(i));
    }
    if (to < events.size()) {
      context.runOnContext(v -> publishAll(events, to));
    }
  }

  /** Publishes a committed transition on hub.job.events and counts it. */
  private void publish(JsonObject ev) {
    String from = ev.getString("from") == null ? "none" : ev.getString("from");
    String to = ev.getString("to");
    transitionCounters.computeIfAbsent(from + ">" + to, k -> Counter.builder(HubMetrics.JOB_TRANSITIONS)
        .tag("from", from).tag("to", to).register(HubMetrics.registry())).increment();
    vertx.eventBus().publish(Addresses.JOB_EVENTS, ev);
    if (LOG.isDebugEnabled()) {
      LOG.debug("Job {} {} -> {} (attempt {}, crawler {}, {})", ev.getString("jobId"), from, to,
          ev.getInteger("attempt"), ev.getString("crawlerId"), ev.getString("reason"));
    }
  }
}
