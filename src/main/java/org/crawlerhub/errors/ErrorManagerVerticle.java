package org.crawlerhub.errors;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.metrics.HubMetrics;
import org.crawlerhub.persistence.RetryPolicy;
import org.crawlerhub.persistence.Database;
import org.crawlerhub.protocol.ErrorCategory;
import org.crawlerhub.protocol.Severity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Error manager (SPEC §3.2): turns every failure into a classified {@link ErrorRecord}, counts
 * them in sliding windows (per category, crawler and job), raises {@code threshold_exceeded}
 * alerts (bus + optional webhook), applies the {@link RetryPolicy} to failed jobs, persists
 * records to {@code job_errors} in batches and answers {@code hub.errors.query}.
 *
 * <p>Sources: {@code hub.errors.report} (sent by any component), plus records derived from
 * {@code hub.job.events} and {@code hub.crawler.events}. Those two are published to every node,
 * so they are consumed node-locally (each event is handled on the node that published it) and
 * only by the first error-manager instance deployed on the node (the "primary"): one record and
 * one retry decision per event, cluster-wide. Windows and alerts are per instance.
 */
public final class ErrorManagerVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(ErrorManagerVerticle.class);
  static final String PRIMARY_MAP = "crawlerhub.errors";
  static final String PRIMARY_KEY = "primary";
  static final long FLUSH_INTERVAL_MS = 200;
  static final int MAX_BATCH = 1000;
  static final int TREND_MINUTES = 15;
  private static final int ENTITY_BUCKETS = 12;
  private static final int CATEGORY_BUCKETS = 60;
  private static final int DEFAULT_LIMIT = 100;
  private static final int MAX_LIMIT = 1000;
  private static final int WARN_LINES_PER_SECOND = 20;

  private record Pending(long seq, ErrorRecord record) {}

  private record Waiter(long seq, Promise<Void> promise) {}

  private final HubConfig cfg;
  private final Clock clock;
  private final String nodeId;
  private final ErrorClassifier classifier = new ErrorClassifier();
  private final RetryPolicy retryPolicy;
  private final ThresholdAlerter alerter;
  private final Map<ErrorCategory, SlidingWindowCounter> byCategory = new EnumMap<>(ErrorCategory.class);
  private final Map<String, SlidingWindowCounter> byCrawler = new HashMap<>();
  private final Map<String, SlidingWindowCounter> byJob = new HashMap<>();
  private final ArrayDeque<Pending> buffer = new ArrayDeque<>();
  private final List<Waiter> waiters = new ArrayList<>();
  private final List<Long> timers = new ArrayList<>();
  private final Counter[][] errorCounters = new Counter[ErrorCategory.values().length][Severity.values().length];
  private final Map<ErrorCategory, Counter> alertCounters = new EnumMap<>(ErrorCategory.class);

  private EventBus bus;
  private Pool pool;
  private ErrorRepository repo;
  private WebhookNotifier webhook;
  private boolean primary;
  private boolean flushing;
  private volatile boolean stopped;
  private long enqueuedSeq;
  private long persistedSeq;
  private long dropped;
  private int failures;
  private long retryNotBeforeNanos;
  private long warnSecond;
  private int warnLines;
  private long warnSuppressed;
  private DistributionSummary batchSize;
  private Timer batchLatency;

  public ErrorManagerVerticle(HubConfig cfg) {
    this(cfg, Clock.systemUTC());
  }

  /** With an injected clock for windows, cool-downs and timestamps (tests). */
  public ErrorManagerVerticle(HubConfig cfg, Clock clock) {
    this.cfg = cfg;
    this.clock = clock;
    this.nodeId = cfg.nodeId();
    this.retryPolicy = RetryPolicy.from(cfg);
    this.alerter = new ThresholdAlerter(cfg.alerts());
    for (ErrorCategory c : ErrorCategory.values()) {
      byCategory.put(c, new SlidingWindowCounter(cfg.alerts().window(), CATEGORY_BUCKETS));
    }
  }

  @Override
  public Future<?> start() {
    bus = vertx.eventBus();
    MeterRegistry registry = HubMetrics.registry();
    batchSize = DistributionSummary.builder(HubMetrics.PERSISTENCE_BATCH_SIZE).tag("kind", "errors").register(registry);
    batchLatency = Timer.builder(HubMetrics.PERSISTENCE_BATCH_LATENCY).tag("kind", "errors").register(registry);
    LocalMap<String, String> roles = vertx.sharedData().getLocalMap(PRIMARY_MAP);
    primary = roles.putIfAbsent(PRIMARY_KEY, deploymentID()) == null;
    String url = cfg.database() == null ? null : cfg.database().url();
    if (url != null && !url.isBlank()) {
      pool = Database.pool(vertx, url, 2, "errors");
      repo = new ErrorRepository(pool);
    } else {
      LOG.warn("Error manager has no database: errors are published and counted but not persisted");
    }
    String hook = cfg.alerts().webhookUrl();
    if (hook != null && !hook.isBlank()) {
      webhook = new WebhookNotifier(vertx, hook, 4, 500);
    }
    List<Future<?>> regs = new ArrayList<>();
    regs.add(bus.<JsonObject>consumer(Addresses.ERRORS_REPORT, this::onReport).completion());
    regs.add(bus.<JsonObject>consumer(Addresses.ERRORS_QUERY, this::onQuery).completion());
    if (primary) {
      regs.add(bus.<JsonObject>localConsumer(Addresses.JOB_EVENTS, m -> onJobEvent(m.body())).completion());
      regs.add(bus.<JsonObject>localConsumer(Addresses.CRAWLER_EVENTS, m -> onCrawlerEvent(m.body())).completion());
    }
    return Future.all(regs).onSuccess(v -> {
      timers.add(vertx.setPeriodic(FLUSH_INTERVAL_MS, id -> drain()));
      timers.add(vertx.setPeriodic(Math.max(1000, cfg.alerts().window()), id -> evictIdleCounters()));
      if (repo != null) {
        timers.add(vertx.setPeriodic(1000, Math.max(1000, cfg.cleanupInterval()), id -> prune()));
      }
      LOG.info("Error manager started on node {} (primary: {})", nodeId, primary);
    });
  }

  @Override
  public Future<?> stop() {
    stopped = true;
    timers.forEach(vertx::cancelTimer);
    timers.clear();
    if (primary) {
      vertx.sharedData().<String, String>getLocalMap(PRIMARY_MAP).removeIfPresent(PRIMARY_KEY, deploymentID());
    }
    if (webhook != null) {
      webhook.close();
    }
    if (pool == null) {
      return Future.succeededFuture();
    }
    return flush().otherwiseEmpty().eventually(() -> pool.close());
  }

  // ---------------------------------------------------------------- sources

  private void onReport(Message<JsonObject> m) {
    JsonObject report = m.body();
    if (report == null) {
      if (m.replyAddress() != null) {
        m.fail(400, "VALIDATION_FAILED: empty error report");
      }
      return;
    }
    ErrorRecord r = record(report);
    if (m.replyAddress() != null) {
      m.reply(new JsonObject().put("id", r.id()).put("category", r.category().wire())
          .put("severity", r.severity().wire()));
    }
  }

  private void onJobEvent(JsonObject ev) {
    if (ev == null) {
      return;
    }
    JsonObject report = classifier.fromJobEvent(ev);
    if (report != null) {
      record(report);
    }
    if ("failed".equals(ev.getString("to")) && ev.getString("jobId") != null) {
      applyRetryPolicy(ev);
    }
  }

  private void onCrawlerEvent(JsonObject ev) {
    JsonObject report = ev == null ? null : classifier.fromCrawlerEvent(ev);
    if (report != null) {
      record(report);
    }
  }

  // ---------------------------------------------------------------- records

  private ErrorRecord record(JsonObject report) {
    ErrorClassifier.Classification c = classifier.classify(report);
    JsonObject details = report.getValue("details") instanceof JsonObject d ? d : new JsonObject();
    if (report.getString("refType") != null) {
      details.put("refType", report.getString("refType"));
    }
    String message = report.getString("message");
    if (message == null || message.isBlank()) {
      message = c.code() != null ? c.code() : c.category().wire() + " error";
    }
    ErrorRecord r = new ErrorRecord(UUID.randomUUID().toString(), timestamp(report.getValue("at")),
        c.category(), c.severity(), c.code(), message, report.getString("crawlerId"),
        report.getString("connectionId"), report.getString("jobId"), report.getString("nodeId", nodeId),
        report.getString("source"), c.retryable(), details);
    accept(r);
    return r;
  }

  private void accept(ErrorRecord r) {
    long now = clock.millis();
    errorCounter(r.category(), r.severity()).increment();
    SlidingWindowCounter window = byCategory.get(r.category());
    window.add(now);
    if (r.crawlerId() != null) {
      byCrawler.computeIfAbsent(r.crawlerId(), k -> new SlidingWindowCounter(cfg.alerts().window(), ENTITY_BUCKETS)).add(now);
    }
    if (r.jobId() != null) {
      byJob.computeIfAbsent(r.jobId(), k -> new SlidingWindowCounter(cfg.alerts().window(), ENTITY_BUCKETS)).add(now);
    }
    if (r.severity().compareTo(Severity.HIGH) >= 0 && warnBudget(now)) {
      LOG.warn("{} {} error {}: {} (crawler {}, job {})", r.severity().wire(), r.category().wire(), r.code(),
          r.message(), r.crawlerId(), r.jobId());
    } else {
      LOG.debug("{} {} error {}: {} (crawler {}, job {})", r.severity().wire(), r.category().wire(), r.code(),
          r.message(), r.crawlerId(), r.jobId());
    }
    bus.publish(Addresses.ERRORS, r.toJson());
    JsonObject alert = alerter.check(r.category(), window.count(now), now, nodeId, r);
    if (alert != null) {
      alertCounters.computeIfAbsent(r.category(), c -> Counter.builder(HubMetrics.ALERTS)
          .tag("category", c.wire()).register(HubMetrics.registry())).increment();
      LOG.warn("Alert: {}", alert.getString("message"));
      bus.publish(Addresses.ERRORS_ALERTS, alert);
      if (webhook != null) {
        webhook.send(alert);
      }
    }
    enqueue(r);
  }

  /** At most {@link #WARN_LINES_PER_SECOND} warning lines a second, so a flood of errors cannot flood the log. */
  private boolean warnBudget(long now) {
    long second = now / 1000;
    if (second != warnSecond) {
      if (warnSuppressed > 0) {
        LOG.warn("{} more high-severity errors were not logged (see hub.errors / job_errors)", warnSuppressed);
      }
      warnSecond = second;
      warnLines = 0;
      warnSuppressed = 0;
    }
    if (warnLines < WARN_LINES_PER_SECOND) {
      warnLines++;
      return true;
    }
    warnSuppressed++;
    return false;
  }

  private Counter errorCounter(ErrorCategory c, Severity s) {
    Counter counter = errorCounters[c.ordinal()][s.ordinal()];
    if (counter == null) {
      counter = Counter.builder(HubMetrics.ERRORS).tag("category", c.wire()).tag("severity", s.wire())
          .register(HubMetrics.registry());
      errorCounters[c.ordinal()][s.ordinal()] = counter;
    }
    return counter;
  }

  private Instant timestamp(Object at) {
    if (at instanceof String s) {
      try {
        return Instant.parse(s);
      } catch (DateTimeParseException e) {
        return clock.instant();
      }
    }
    if (at instanceof Number n) {
      return Instant.ofEpochMilli(n.longValue());
    }
    return clock.instant();
  }

  private void evictIdleCounters() {
    long now = clock.millis();
    byCrawler.values().removeIf(w -> w.count(now) == 0);
    byJob.values().removeIf(w -> w.count(now) == 0);
  }

  // ---------------------------------------------------------------- retry policy

  private void applyRetryPolicy(JsonObject ev) {
    JsonObject details = ev.getValue("details") instanceof JsonObject d ? d : new JsonObject();
    boolean recoverable = !Boolean.FALSE.equals(details.getValue("recoverable"));
    int attempt = ev.getInteger("attempt", 1);
    int maxAttempts = ev.getInteger("maxAttempts", cfg.defaultMaxAttempts());
    RetryPolicy.Decision d = retryPolicy.decide(recoverable, attempt, maxAttempts);
    JsonObject request = new JsonObject().put("jobId", ev.getString("jobId")).put("attempt", attempt)
        .put("action", d.action()).put("delayMs", d.delayMs())
        .put("reason", !recoverable ? "not recoverable" : d.retry() ? "recoverable failure" : "out of attempts");
    LOG.info("Job {} attempt {} failed: {} ({})", ev.getString("jobId"), attempt,
        d.retry() ? "retry in " + d.delayMs() + " ms" : "dead", request.getString("reason"));
    requestRetryPolicy(request, 1);
  }

  /**
   * Asks the jobs service to apply a decision, again and again (backoff up to 30 s) while it cannot:
   * no jobs service yet, no answer, or the job store unavailable (503, PostgreSQL down). A decision
   * is a lifecycle transition (failed -> queued later, or dead), never dropped (SPEC §7): before, a
   * decision lost to a PostgreSQL restart left the job in {@code failed} for good. The jobs service
   * refuses a decision for a job that moved on (409), and that ends it.
   */
  private void requestRetryPolicy(JsonObject request, int n) {
    if (stopped) {
      return;
    }
    bus.request(Addresses.JOBS_APPLY_RETRY_POLICY, request, new DeliveryOptions().setSendTimeout(10_000))
        .onSuccess(m -> {
          if (n > 1) {
            LOG.info("Retry decision {} for job {} applied after {} attempts", request.getString("action"),
                request.getString("jobId"), n);
          }
        })
        .onFailure(err -> {
          if (!stopped && retryable(err)) {
            long delayMs = Math.min(30_000L, 250L << Math.min(n - 1, 7));
            if (n == 1 || n % 10 == 0) {
              LOG.warn("Retry decision {} for job {} not applied yet ({}); trying again in {} ms",
                  request.getString("action"), request.getString("jobId"), err.getMessage(), delayMs);
            }
            vertx.setTimer(delayMs, id -> requestRetryPolicy(request, n + 1));
          } else {
            LOG.warn("Retry decision {} for job {} was not applied: {}", request.getString("action"),
                request.getString("jobId"), err.getMessage());
          }
        });
  }

  /** Worth asking again: nobody answered, or the job store was unavailable. */
  static boolean retryable(Throwable err) {
    return err instanceof ReplyException re && (re.failureType() == ReplyFailure.NO_HANDLERS
        || re.failureType() == ReplyFailure.TIMEOUT
        || (re.failureType() == ReplyFailure.RECIPIENT_FAILURE && re.failureCode() == 503));
  }

  // ---------------------------------------------------------------- persistence

  private void enqueue(ErrorRecord r) {
    if (repo == null) {
      return;
    }
    if (buffer.size() >= Math.max(1000, cfg.database().writeBufferSize())) {
      buffer.pollFirst();
      if (dropped++ % 1000 == 0) {
        LOG.warn("Error log buffer full (database unreachable?): {} oldest records dropped so far", dropped);
      }
    }
    buffer.add(new Pending(++enqueuedSeq, r));
    if (buffer.size() >= MAX_BATCH) {
      drain();
    }
  }

  /** Completes when every record accepted so far is in the database. */
  private Future<Void> flush() {
    if (repo == null || persistedSeq >= enqueuedSeq) {
      return Future.succeededFuture();
    }
    Promise<Void> p = Promise.promise();
    waiters.add(new Waiter(enqueuedSeq, p));
    drain();
    return p.future();
  }

  private void drain() {
    if (repo == null || flushing || buffer.isEmpty()
        || (waiters.isEmpty() && System.nanoTime() < retryNotBeforeNanos)) {
      return;
    }
    flushing = true;
    List<Pending> batch = new ArrayList<>(Math.min(buffer.size(), MAX_BATCH));
    while (!buffer.isEmpty() && batch.size() < MAX_BATCH) {
      batch.add(buffer.poll());
    }
    List<ErrorRecord> records = new ArrayList<>(batch.size());
    batch.forEach(p -> records.add(p.record()));
    long started = System.nanoTime();
    repo.insert(records).onComplete(ar -> {
      flushing = false;
      if (ar.succeeded()) {
        if (failures > 0) {
          LOG.info("Persisting error records again after {} failed attempts", failures);
          failures = 0;
          retryNotBeforeNanos = 0;
        }
        persistedSeq = batch.get(batch.size() - 1).seq();
        batchSize.record(batch.size());
        batchLatency.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext(); ) {
          Waiter w = it.next();
          if (w.seq() <= persistedSeq) {
            it.remove();
            w.promise().complete();
          }
        }
        if (!waiters.isEmpty() || buffer.size() >= MAX_BATCH) {
          drain();
        }
      } else {
        for (int i = batch.size() - 1; i >= 0; i--) {
          buffer.addFirst(batch.get(i));
        }
        failures++;
        long backoffMs = Math.min(5_000, FLUSH_INTERVAL_MS << Math.min(failures, 5));
        retryNotBeforeNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs);
        if (failures == 1 || failures % 20 == 0) {
          LOG.warn("Could not persist {} error records ({} attempts so far), retrying every {} ms: {}",
              buffer.size(), failures, backoffMs, ar.cause().toString());
        }
        List<Waiter> failed = new ArrayList<>(waiters);
        waiters.clear();
        failed.forEach(w -> w.promise().fail(ar.cause()));
      }
    });
  }

  private void prune() {
    Instant cutoff = clock.instant().minusMillis(cfg.maxErrorLogAge());
    repo.prune(cutoff).onSuccess(n -> {
      if (n > 0) {
        LOG.info("Pruned {} error records older than {}", n, cutoff);
      }
    }).onFailure(err -> LOG.warn("Pruning job_errors failed: {}", err.toString()));
  }

  // ---------------------------------------------------------------- queries

  private void onQuery(Message<JsonObject> m) {
    JsonObject q = m.body() == null ? new JsonObject() : m.body();
    ErrorRepository.Filter f;
    try {
      int limit = (int) number(q.getValue("limit"), DEFAULT_LIMIT);
      f = new ErrorRepository.Filter(q.getString("category"), q.getString("severity"), q.getString("crawlerId"),
          q.getString("jobId"), since(q.getValue("since")), Math.max(1, Math.min(MAX_LIMIT, limit)));
    } catch (RuntimeException e) {
      m.fail(400, "VALIDATION_FAILED: " + e.getMessage());
      return;
    }
    if (repo == null) {
      m.fail(503, "UNAVAILABLE: the error manager has no database");
      return;
    }
    Instant now = clock.instant();
    Instant trendFrom = now.truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(TREND_MINUTES - 1));
    flush().compose(v -> {
      Future<JsonArray> errors = repo.newest(f);
      Future<JsonObject> cats = repo.countBy(ErrorRepository.COUNT_BY_CATEGORY, f);
      Future<JsonObject> sevs = repo.countBy(ErrorRepository.COUNT_BY_SEVERITY, f);
      Future<JsonArray> top = repo.topErrors(f);
      Future<JsonObject> minutes = repo.perMinute(f, trendFrom);
      return Future.all(errors, cats, sevs, top, minutes).map(all -> new JsonObject()
          .put("errors", errors.result())
          .put("stats", stats(cats.result(), sevs.result(), top.result(), minutes.result(), trendFrom)));
    }).onComplete(ar -> {
      if (ar.succeeded()) {
        m.reply(ar.result());
      } else {
        m.fail(503, "UNAVAILABLE: " + ar.cause().getMessage());
      }
    });
  }

  /** ErrorStats: totals, breakdowns, rate, top errors, per-minute trend and the live windows. */
  private JsonObject stats(JsonObject byCat, JsonObject bySev, JsonArray top, JsonObject perMinute, Instant trendFrom) {
    long total = 0;
    for (String k : byCat.fieldNames()) {
      total += byCat.getLong(k);
    }
    JsonArray trend = new JsonArray();
    long inTrend = 0;
    long[] counts = new long[TREND_MINUTES];
    for (int i = 0; i < TREND_MINUTES; i++) {
      String at = trendFrom.plus(Duration.ofMinutes(i)).toString();
      counts[i] = perMinute.getLong(at, 0L);
      inTrend += counts[i];
      trend.add(new JsonObject().put("at", at).put("count", counts[i]));
    }
    long recent = 0;
    long before = 0;
    for (int i = 0; i < 5; i++) {
      recent += counts[TREND_MINUTES - 1 - i];
      before += counts[TREND_MINUTES - 6 - i];
    }
    String direction = recent > before * 1.2 + 1 ? "rising" : before > recent * 1.2 + 1 ? "falling" : "stable";
    return new JsonObject().put("totalErrors", total).put("byCategory", byCat).put("bySeverity", bySev)
        .put("ratePerMinute", inTrend / (double) TREND_MINUTES).put("topErrors", top).put("trend", trend)
        .put("trendDirection", direction).put("window", windows());
  }

  private JsonObject windows() {
    long now = clock.millis();
    JsonObject cats = new JsonObject();
    byCategory.forEach((c, w) -> {
      long n = w.count(now);
      if (n > 0) {
        cats.put(c.wire(), n);
      }
    });
    return new JsonObject().put("windowMs", cfg.alerts().window()).put("byCategory", cats)
        .put("topCrawlers", top(byCrawler, "crawlerId", now)).put("topJobs", top(byJob, "jobId", now));
  }

  private static JsonArray top(Map<String, SlidingWindowCounter> m, String key, long now) {
    List<Map.Entry<String, Long>> counts = new ArrayList<>();
    m.forEach((k, w) -> {
      long n = w.count(now);
      if (n > 0) {
        counts.add(Map.entry(k, n));
      }
    });
    counts.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()));
    JsonArray out = new JsonArray();
    counts.stream().limit(5).forEach(e -> out.add(new JsonObject().put(key, e.getKey()).put("count", e.getValue())));
    return out;
  }

  /** {@code since} as an ISO-8601 instant or epoch milliseconds (number or digits, e.g. from a query string). */
  private static Instant since(Object v) {
    if (v == null || (v instanceof String s && s.isBlank())) {
      return null;
    }
    if (v instanceof Number || String.valueOf(v).chars().allMatch(Character::isDigit)) {
      return Instant.ofEpochMilli(number(v, 0));
    }
    try {
      return Instant.parse(String.valueOf(v));
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("since: not an ISO-8601 instant or epoch milliseconds: " + v);
    }
  }

  private static long number(Object v, long fallback) {
    if (v == null) {
      return fallback;
    }
    if (v instanceof Number n) {
      return n.longValue();
    }
    try {
      return Long.parseLong(String.valueOf(v).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a number: " + v);
    }
  }
}
