package org.crawlerhub.progress;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.bus.LocalOnlyCodec;
import org.crawlerhub.bus.ProgressLane;
import org.crawlerhub.cluster.ClusterSupport;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.metrics.HubMetrics;
import org.crawlerhub.persistence.Database;
import org.crawlerhub.protocol.JobReport;
import org.crawlerhub.protocol.JobReportBatch;
import org.crawlerhub.protocol.JobStatusOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress aggregator, one instance per partition: owns the jobs with
 * {@code floorMod(jobId.hashCode(), partitions) == partition}.
 *
 * <ul>
 *   <li>Consumes the routers' job reports (accepted job_started, job_progress, job_completed,
 *       job_failed, read once by the router: this node's on {@code hub.crawler.job-reports.local},
 *       other nodes' as JSON on {@code hub.crawler.job-reports}), their heartbeat batches
 *       ({@code hub.crawler.heartbeats}), {@code hub.job.events} and {@code hub.crawler.events}.
 *   <li>Publishes each changed job on {@code hub.progress.job.<jobId>} and {@code hub.progress.jobs},
 *       at most once per {@code progressPublishInterval} per job, the last value always delivered;
 *       milestones on {@code hub.progress.milestones}.
 *   <li>Publishes its partial summary on {@code hub.progress.partial}; partition 0 of the node
 *       elected by {@link AggregateMerger} publishes the merged {@code hub.progress.aggregate}.
 *   <li>Answers {@code hub.progress.get}, forwarding per-job questions to the owning partition on
 *       {@code hub.progress.get.<partition>} (node-local).
 * </ul>
 * On start it rebuilds counts and open jobs from the {@code jobs} table; job events that arrive
 * while the snapshot loads are held and applied afterwards (late duplicates are recognised).
 * Once started it lists a {@link ProgressLane}: this node's routers hand their report batches to it
 * directly, applied on the router's thread when the partition is idle.
 */
public final class ProgressVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressVerticle.class);
  private static final long AGGREGATE_KEEPALIVE_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final long SWEEP_INTERVAL_MS = 5_000;
  /**
   * How long after its lane is listed every offered batch is still queued: a router that looked
   * the lane up just before it was listed may still be publishing a batch on the bus, and a later
   * batch applied at once would overtake it.
   */
  static final long LANE_BARRIER_MS = 1_000;

  private final HubConfig cfg;
  private final int partition;
  private final int partitions;
  private final ProgressOptions opts;
  private final Clock clock;
  private final String nodeId;
  private final long intervalNanos;

  private final Map<String, JobProgressState> jobs = new HashMap<>();
  /**
   * The jobs of {@link #jobs} that were active when last changed: the partial summary walks these
   * (a fleet's dozens) instead of every job known (the queue's tens of thousands), dropping the
   * ones that finished meanwhile.
   */
  private final Map<String, JobProgressState> active = new HashMap<>();
  private final JobStatuses.Counts counts = new JobStatuses.Counts();
  private final ArrayDeque<JobProgressState> dirty = new ArrayDeque<>();
  private final CrawlerDirectory crawlers;
  private final AggregateMerger merger;
  private final List<Long> timers = new ArrayList<>();
  /** Job events received while the start-up snapshot loads; null once applied. */
  private List<JsonObject> heldEvents = new ArrayList<>();
  private EventBus bus;
  private Pool pool;
  private Timer publishLag;
  private JsonObject lastAggregate;
  private long lastAggregateNanos;
  /**
   * Held by whoever touches this partition's state: its own context's handlers, timers and start-up
   * steps, and a router thread applying a batch through the {@link #lane}.
   */
  private final ReentrantLock lock = new ReentrantLock();
  /** Batches offered through the lane and queued on this context, not yet applied ({@link HubMetrics#PROGRESS_QUEUED}). */
  private final AtomicInteger queued = new AtomicInteger();
  private final Lane lane = new Lane();
  /** False until {@link #LANE_BARRIER_MS} after the lane is listed: until then every offer queues. */
  private volatile boolean laneOpen;
  private volatile boolean stopped;
  private Gauge queuedGauge;

  public ProgressVerticle(HubConfig cfg, int partition, int partitions) {
    this(cfg, partition, partitions, ProgressOptions.defaults());
  }

  public ProgressVerticle(HubConfig cfg, int partition, int partitions, ProgressOptions opts) {
    if (partitions < 1 || partition < 0 || partition >= partitions) {
      throw new IllegalArgumentException("partition " + partition + " of " + partitions);
    }
    this.cfg = cfg;
    this.partition = partition;
    this.partitions = partitions;
    this.opts = opts;
    this.clock = opts.clock();
    this.nodeId = cfg.nodeId() == null ? "local" : cfg.nodeId();
    this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(0, cfg.progressPublishInterval()));
    this.crawlers = new CrawlerDirectory(TimeUnit.MILLISECONDS.toNanos(2 * cfg.heartbeatTimeout()),
        TimeUnit.MILLISECONDS.toNanos(opts.terminalRetentionMs()));
    this.merger = new AggregateMerger(TimeUnit.MILLISECONDS.toNanos(opts.partitionTtlMs()));
  }

  /** Node-local address of one partition's per-job queries. */
  public static String partitionAddress(int partition) {
    return Addresses.progressPartition(partition);
  }

  /** The partition owning a job. */
  public static int partitionOf(String jobId, int partitions) {
    return Math.floorMod(jobId.hashCode(), partitions);
  }

  @Override
  public Future<?> start() {
    bus = vertx.eventBus();
    publishLag = Timer.builder(HubMetrics.PROGRESS_PUBLISH_LAG)
        .description("Router acceptance of job progress to its hub.progress.job publish")
        .register(HubMetrics.registry());
    queuedGauge = Gauge.builder(HubMetrics.PROGRESS_QUEUED, queued, AtomicInteger::get)
        .description("Job-report batches waiting for the progress aggregator partition's own thread")
        .tag("partition", String.valueOf(partition))
        .register(HubMetrics.registry());
    List<Future<?>> early = new ArrayList<>();
    early.add(bus.<JsonObject>consumer(Addresses.JOB_EVENTS, locked(m -> onJobEvent(m.body()))).completion());
    early.add(bus.<JsonObject>consumer(Addresses.CRAWLER_EVENTS, locked(m -> {
      if (m.body() != null && fromMember(m.body().getString("nodeId"))) {
        crawlers.onEvent(m.body(), System.nanoTime());
      }
    })).completion());
    early.add(bus.<JsonObject>consumer(Addresses.CRAWLER_HEARTBEATS, locked(this::onHeartbeats)).completion());
    early.add(bus.<JsonObject>consumer(Addresses.PROGRESS_PARTIAL, locked(m -> {
      if (m.body() != null && fromMember(m.body().getString("nodeId"))) {
        merger.accept(m.body(), System.nanoTime());
      }
    })).completion());
    early.add(bus.<String>localConsumer(Addresses.CLUSTER_NODE_LEFT, locked(m -> {
      if (m.body() != null && !m.body().equals(nodeId)) { // its crawlers and its partials are gone
        crawlers.nodeLeft(m.body());
        merger.nodeLeft(m.body());
      }
    })).completion());
    early.add(bus.<JsonObject>consumer(Addresses.PROGRESS_GET, locked(this::onGet)).completion());
    early.add(bus.<JsonObject>localConsumer(partitionAddress(partition), locked(this::onPartitionGet)).completion());
    return Future.all(early)
        .compose(v -> restore())
        .compose(v -> {
          LocalOnlyCodec.register(bus, JobReportBatch.class);
          return Future.all(
              bus.<JobReportBatch>localConsumer(Addresses.JOB_REPORTS_LOCAL, locked(m -> onReports(m.body()))).completion(),
              bus.<JsonObject>consumer(Addresses.JOB_REPORTS, locked(m -> onRemoteReports(m.body()))).completion());
        })
        .onSuccess(v -> {
          long tick = Math.max(10, Math.min(250, TimeUnit.NANOSECONDS.toMillis(intervalNanos) / 4));
          timers.add(vertx.setPeriodic(tick, locked(id -> flushDue())));
          timers.add(vertx.setPeriodic(0, opts.partialIntervalMs(), locked(id -> publishPartial())));
          timers.add(vertx.setPeriodic(SWEEP_INTERVAL_MS, locked(id -> sweep())));
          // this node's routers hand their batches over directly from now on (after the barrier)
          ProgressLane.map(vertx).put(partition, lane);
          timers.add(vertx.setTimer(LANE_BARRIER_MS, id -> laneOpen = true));
          LOG.info("Progress partition {}/{} started on node {} ({} jobs restored)", partition, partitions,
              nodeId, jobs.size());
        });
  }

  /**
   * How the hub deploys a partition: on a worker context, not an event loop. Its input arrives as
   * tasks from every router partition, and on an event loop those tasks run only between that
   * loop's I/O passes: under a blast of reads the aggregator fell ~130 ms (~90,000 reports) behind,
   * reports the young collections then copied (bench/RESULTS.md). A worker thread is scheduled by
   * the kernel like any other and keeps up. Calls stay serialised (one context per partition, and
   * {@link #lock} against a router thread applying a batch through the partition's lane: a report
   * is then published within its socket read, without waking this thread).
   */
  public static DeploymentOptions deploymentOptions() {
    return new DeploymentOptions().setThreadingModel(ThreadingModel.WORKER);
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    ProgressLane.map(vertx).removeIfPresent(partition, lane);
    if (queuedGauge != null) {
      HubMetrics.registry().remove(queuedGauge);
    }
    timers.forEach(vertx::cancelTimer);
    timers.clear();
    if (bus != null) {
      bus.publish(Addresses.PROGRESS_PARTIAL, new JsonObject().put("nodeId", nodeId)
          .put("partition", partition).put("partitions", partitions).put("stopped", true));
    }
    return pool == null ? Future.succeededFuture() : pool.close();
  }

  /** {@code handler} run while holding {@link #lock}. */
  private <T> Handler<T> locked(Handler<T> handler) {
    return event -> withLock(() -> handler.handle(event));
  }

  private void withLock(Runnable step) {
    lock.lock();
    try {
      step.run();
    } finally {
      lock.unlock();
    }
  }

  /**
   * This partition's {@link ProgressLane}: a batch offered by a router thread is applied on that
   * thread when nothing is queued and the lock is free (no thread woken, the progress published
   * within the socket read), else queued on this partition's context behind the queued ones.
   */
  private final class Lane implements ProgressLane {
    @Override
    public boolean offer(JobReportBatch batch) {
      if (stopped) {
        return false;
      }
      if (laneOpen && queued.get() == 0 && lock.tryLock()) {
        try {
          onReports(batch);
        } catch (RuntimeException e) { // the router's reply and its other hand-offs go on
          LOG.error("Progress partition {} failed to apply {} job reports", partition, batch.reports().size(), e);
        } finally {
          lock.unlock();
        }
        return true;
      }
      queued.incrementAndGet();
      context.runOnContext(v -> withLock(() -> {
        try {
          onReports(batch);
        } finally {
          queued.decrementAndGet();
        }
      }));
      return true;
    }
  }

  /**
   * The accepted job messages of one connection's batch, in receive order: each applied to its
   * job's state when this partition owns the job.
   */
  private void onReports(JobReportBatch batch) {
    if (batch == null || batch.reports().isEmpty()) {
      return;
    }
    String crawlerId = batch.crawlerId();
    long nanos = System.nanoTime();
    long nowMs = clock.millis();
    // the connection is touched once, on the batch's first report of this partition (and only
    // when its node is still a member)
    boolean touch = fromMember(batch.nodeId());
    for (JobReport r : batch.reports()) {
      if (partitions > 1 && partitionOf(r.jobId, partitions) != partition) {
        continue;
      }
      if (touch) {
        crawlers.touch(batch.connectionId(), crawlerId, batch.nodeId(), nanos);
        touch = false;
      }
      JobProgressState s = jobs.get(r.jobId);
      if (s == null) {
        s = new JobProgressState(r.jobId, opts.rateWindowMs());
        jobs.put(r.jobId, s);
      }
      switch (r.type) {
        case JOB_PROGRESS -> onJobProgress(s, r, crawlerId, nowMs);
        case JOB_STARTED -> {
          s.onStarted(r.data, crawlerId, nowMs);
          changed(s);
        }
        case JOB_COMPLETED -> {
          publishMilestones(s, s.onCompleted(r.data, crawlerId, nowMs), nowMs);
          changed(s);
        }
        case JOB_FAILED -> {
          s.onFailed(r.data, crawlerId, nowMs);
          changed(s);
        }
        default -> { }
      }
      track(s);
    }
  }

  /** Another node's batch (JSON); this node's own batches come from the local address. */
  private void onRemoteReports(JsonObject json) {
    if (json != null && !nodeId.equals(json.getString("nodeId"))) {
      onReports(JobReportBatch.fromJson(json));
    }
  }

  // ---------------------------------------------------------------- crawler messages

  private void onJobProgress(JobProgressState s, JobReport r, String crawlerId, long nowMs) {
    int milestones = s.onProgress(r, crawlerId, nowMs);
    if (milestones == JobProgressState.IGNORED) {
      return;
    }
    publishMilestones(s, milestones, nowMs);
    changed(s);
  }

  /** A router partition's batch of the latest heartbeat per connection ({@code hub.crawler.heartbeats}). */
  private void onHeartbeats(Message<JsonObject> m) {
    if (m.body() == null || !(m.body().getValue("heartbeats") instanceof JsonArray list)) {
      return;
    }
    long nanos = System.nanoTime();
    // a batch comes from one router partition, so from one node: its membership is asked once
    String checkedNode = null;
    boolean member = false;
    for (Object o : list) {
      if (o instanceof JsonObject hb && hb.getValue("envelope") instanceof JsonObject env) {
        String node = hb.getString("nodeId");
        if (checkedNode == null || !checkedNode.equals(node)) {
          checkedNode = node;
          member = fromMember(node);
        }
        if (member) {
          crawlers.onHeartbeat(env, hb.getString("connectionId"), hb.getString("crawlerId"), node, nanos);
        }
      }
    }
  }

  /**
   * Whether state announced by hub node {@code node} (this one, unnamed, or a current cluster
   * member) may be taken: a node that left the cluster without stopping can go on publishing.
   */
  private boolean fromMember(String node) {
    return node == null || node.equals(nodeId) || ClusterSupport.isMember(vertx, node);
  }

  // ---------------------------------------------------------------- lifecycle events

  private void onJobEvent(JsonObject ev) {
    if (ev == null) {
      return;
    }
    if (heldEvents != null) {
      heldEvents.add(ev);
      return;
    }
    applyJobEvent(ev);
  }

  private void applyJobEvent(JsonObject ev) {
    String jobId = ev.getString("jobId");
    String to = ev.getString("to");
    if (jobId == null || JobStatuses.index(to) < 0 || partitionOf(jobId, partitions) != partition) {
      return;
    }
    String from = ev.getString("from");
    Integer a = ev.getInteger("attempt");
    JobProgressState s = jobs.get(jobId);
    boolean created = s == null;
    if (created) {
      s = new JobProgressState(jobId, opts.rateWindowMs());
      if (a != null) {
        s.attempt = a;
      }
      jobs.put(jobId, s);
    }
    int attempt = a == null ? s.attempt : a;
    if (s.status == null || s.status.equals(from)) {
      counts.add(from, -1);
    } else if (s.status.equals(to) && attempt == s.attempt) {
      return; // already applied (start-up snapshot raced the event)
    } else if (!JobStatusOrder.isNewer(attempt, to, s.attempt, s.status)) {
      return; // older than what we know
    } else {
      counts.add(s.status, -1); // we missed a transition: count from what we knew
    }
    counts.add(to, +1);
    long now = clock.millis();
    if ("queued".equals(to) && !created) {
      // Back to the queue always starts a new attempt, even when an API retry resets the number.
      s.attempt = Math.min(s.attempt, attempt - 1);
    }
    int milestones = s.onLifecycle(to, attempt, ev.getString("crawlerId"), ev.getJsonObject("details"), now);
    track(s);
    publishMilestones(s, milestones, now);
    if (!(created && "queued".equals(to))) {
      changed(s);
    }
  }

  // ---------------------------------------------------------------- publishing

  private void changed(JobProgressState s) {
    long nanos = System.nanoTime();
    if (s.dirty) {
      return;
    }
    s.firstPendingNanos = nanos;
    if (nanos - s.lastPublishNanos >= intervalNanos) {
      publish(s, nanos);
      return;
    }
    s.dirty = true;
    dirty.add(s);
  }

  private void flushDue() {
    long nanos = System.nanoTime();
    for (int i = dirty.size(); i > 0; i--) {
      JobProgressState s = dirty.poll();
      if (!s.dirty) {
        continue;
      }
      if (nanos - s.lastPublishNanos >= intervalNanos) {
        publish(s, nanos);
      } else {
        dirty.add(s);
      }
    }
  }

  private void publish(JobProgressState s, long nanos) {
    JsonObject body = s.toJson(clock.millis());
    bus.publish(Addresses.jobProgress(s.jobId), body);
    bus.publish(Addresses.PROGRESS_JOBS, body);
    s.dirty = false;
    s.lastPublishNanos = nanos;
    publishLag.record(nanos - s.firstPendingNanos, TimeUnit.NANOSECONDS);
  }

  private void publishMilestones(JobProgressState s, int mask, long nowMs) {
    for (int i = 0; mask > 0 && i < JobProgressState.MILESTONES.length; i++) {
      if ((mask & (1 << i)) != 0) {
        JsonObject m = new JsonObject().put("jobId", s.jobId).put("milestone", JobProgressState.MILESTONES[i])
            .put("attempt", s.attempt).put("completion", s.completion)
            .put("at", Instant.ofEpochMilli(nowMs).toString());
        if (s.crawlerId != null) {
          m.put("crawlerId", s.crawlerId);
        }
        bus.publish(Addresses.PROGRESS_MILESTONES, m);
      }
    }
  }

  /** This partition's contribution to the fleet aggregate. */
  private JsonObject partial(long nowMs) {
    double activeCompletion = 0;
    double throughput = 0;
    long remaining = 0;
    Map<String, JsonObject> perCrawler = new LinkedHashMap<>();
    for (Iterator<JobProgressState> it = active.values().iterator(); it.hasNext(); ) {
      JobProgressState s = it.next();
      if (!s.active()) {
        it.remove();
        continue;
      }
      double r = s.rate(nowMs);
      double rate = Double.isNaN(r) ? 0 : r;
      throughput += rate;
      activeCompletion += s.completion;
      long left = s.remaining();
      if (left > 0) {
        remaining += left;
      }
      if (s.crawlerId != null) {
        JsonObject c = perCrawler.computeIfAbsent(s.crawlerId,
            k -> new JsonObject().put("activeJobs", 0L).put("rate", 0.0).put("processed", 0L));
        c.put("activeJobs", c.getLong("activeJobs") + 1).put("rate", c.getDouble("rate") + rate)
            .put("processed", c.getLong("processed") + s.processed);
      }
    }
    JsonObject cs = new JsonObject();
    perCrawler.forEach(cs::put);
    return new JsonObject().put("nodeId", nodeId).put("partition", partition).put("partitions", partitions)
        .put("at", Instant.ofEpochMilli(nowMs).toString()).put("counts", counts.toJson())
        .put("activeCompletion", activeCompletion).put("throughput", throughput)
        .put("remainingItems", remaining).put("crawlers", cs);
  }

  /** Called after every change of a job's state. */
  private void track(JobProgressState s) {
    if (s.active()) {
      active.put(s.jobId, s);
    }
  }

  private void publishPartial() {
    long nanos = System.nanoTime();
    JsonObject p = partial(clock.millis());
    merger.accept(p, nanos);
    bus.publish(Addresses.PROGRESS_PARTIAL, p);
    if (partition != 0) {
      return;
    }
    merger.expire(nanos);
    if (!nodeId.equals(merger.aggregatePublisher())) {
      return;
    }
    JsonObject a = merged(); // this partition's partial is already in
    if (!a.equals(lastAggregate) || nanos - lastAggregateNanos >= AGGREGATE_KEEPALIVE_NANOS) {
      lastAggregate = a;
      lastAggregateNanos = nanos;
      bus.publish(Addresses.PROGRESS_AGGREGATE, a.copy().put("updatedAt", clock.instant().toString()));
    }
  }

  private JsonObject aggregate(long nanos) {
    merger.accept(partial(clock.millis()), nanos);
    merger.expire(nanos);
    return merged();
  }

  private JsonObject merged() {
    return merger.aggregate(nodeId).put("connectedCrawlers", crawlers.connectedCrawlers());
  }

  private void sweep() {
    long nanos = System.nanoTime();
    crawlers.expire(nanos);
    merger.expire(nanos);
    long cutoff = clock.millis() - opts.terminalRetentionMs();
    jobs.values().removeIf(s -> (JobStatuses.finished(s.status) || (s.status == null && s.closed))
        && s.updatedAtMs < cutoff);
  }

  // ---------------------------------------------------------------- queries

  private void onGet(Message<JsonObject> m) {
    JsonObject q = m.body() == null ? new JsonObject() : m.body();
    String jobId = q.getString("jobId");
    if (jobId != null) {
      int owner = partitionOf(jobId, partitions);
      if (owner == partition) {
        replyJob(m, jobId);
      } else {
        relay(m, bus.request(partitionAddress(owner), new JsonObject().put("jobId", jobId)));
      }
    } else if (q.getValue("jobIds") instanceof JsonArray ids) {
      jobsByIds(ids).onComplete(ar -> {
        if (ar.succeeded()) {
          m.reply(new JsonObject().put("jobs", ar.result()));
        } else {
          failFrom(m, ar.cause());
        }
      });
    } else if (q.getBoolean("crawlers", false)) {
      long nanos = System.nanoTime();
      merger.accept(partial(clock.millis()), nanos);
      merger.expire(nanos);
      m.reply(new JsonObject().put("crawlers", crawlers.toJson(merger.crawlerJobs(nodeId))));
    } else {
      m.reply(aggregate(System.nanoTime()).put("updatedAt", clock.instant().toString()));
    }
  }

  private void onPartitionGet(Message<JsonObject> m) {
    JsonObject q = m.body() == null ? new JsonObject() : m.body();
    String jobId = q.getString("jobId");
    if (jobId != null) {
      replyJob(m, jobId);
      return;
    }
    JsonArray out = new JsonArray();
    long now = clock.millis();
    for (Object id : q.getJsonArray("jobIds", new JsonArray())) {
      JobProgressState s = jobs.get(String.valueOf(id));
      if (s != null) {
        out.add(s.toJson(now));
      }
    }
    m.reply(new JsonObject().put("jobs", out));
  }

  private void replyJob(Message<JsonObject> m, String jobId) {
    JobProgressState s = jobs.get(jobId);
    if (s == null) {
      m.fail(404, "NOT_FOUND: no progress for job " + jobId);
    } else {
      m.reply(s.toJson(clock.millis()));
    }
  }

  /** Progress of several jobs, asking each owning partition once; unknown jobs are left out. */
  private Future<JsonArray> jobsByIds(JsonArray ids) {
    Map<Integer, JsonArray> byOwner = new HashMap<>();
    for (Object id : ids) {
      if (id != null) {
        byOwner.computeIfAbsent(partitionOf(String.valueOf(id), partitions), k -> new JsonArray()).add(String.valueOf(id));
      }
    }
    List<Future<JsonObject>> answers = new ArrayList<>();
    byOwner.forEach((owner, subset) -> answers.add(bus.<JsonObject>request(partitionAddress(owner),
        new JsonObject().put("jobIds", subset)).map(Message::body)));
    return Future.all(answers).map(v -> {
      Map<String, JsonObject> found = new HashMap<>();
      for (Future<JsonObject> f : answers) {
        for (Object o : f.result().getJsonArray("jobs")) {
          JsonObject j = (JsonObject) o;
          found.put(j.getString("jobId"), j);
        }
      }
      JsonArray out = new JsonArray();
      for (Object id : ids) {
        JsonObject j = found.get(String.valueOf(id));
        if (j != null) {
          out.add(j);
        }
      }
      return out;
    });
  }

  private static void relay(Message<JsonObject> m, Future<Message<Object>> answer) {
    answer.onComplete(ar -> {
      if (ar.succeeded()) {
        m.reply(ar.result().body());
      } else {
        failFrom(m, ar.cause());
      }
    });
  }

  private static void failFrom(Message<JsonObject> m, Throwable t) {
    if (t instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
      m.fail(re.failureCode(), re.getMessage());
    } else {
      m.fail(503, "UNAVAILABLE: " + t.getMessage());
    }
  }

  // ---------------------------------------------------------------- restart

  private Future<Void> restore() {
    String url = cfg.database() == null ? null : cfg.database().url();
    if (url == null || url.isBlank()) {
      withLock(this::applyHeldEvents);
      return Future.succeededFuture();
    }
    pool = Database.pool(vertx, url, 1, "progress-" + partition);
    ProgressRepository repo = new ProgressRepository(pool);
    return loadWithRetry(repo, 1)
        .onSuccess(snap -> withLock(() -> applySnapshot(snap)))
        .onFailure(err -> LOG.warn("Progress partition {} starts without the jobs table ({}); counts start at zero",
            partition, err.toString()))
        .<Void>mapEmpty()
        .otherwiseEmpty()
        .onComplete(v -> withLock(this::applyHeldEvents));
  }

  private Future<ProgressRepository.Snapshot> loadWithRetry(ProgressRepository repo, int attempt) {
    return repo.load().recover(err -> {
      if (attempt >= 3) {
        return Future.failedFuture(err);
      }
      Promise<Void> wait = Promise.promise();
      vertx.setTimer(500L * attempt, id -> wait.complete());
      return wait.future().compose(v -> loadWithRetry(repo, attempt + 1));
    });
  }

  private void applySnapshot(ProgressRepository.Snapshot snap) {
    if (partition == 0) {
      snap.counts().forEach(counts::add);
    }
    for (ProgressRepository.JobRow r : snap.rows()) {
      if (partitionOf(r.id(), partitions) != partition) {
        continue;
      }
      JobProgressState s = new JobProgressState(r.id(), opts.rateWindowMs());
      s.restore(r.status(), r.attempt(), r.leaseOwner(), r.progress(), r.resumeState(), r.startedAtMs(),
          r.finishedAtMs(), r.updatedAtMs());
      jobs.put(r.id(), s);
      track(s);
    }
  }

  private void applyHeldEvents() {
    List<JsonObject> held = heldEvents;
    heldEvents = null;
    held.forEach(this::applyJobEvent);
  }
}
