package org.crawlerhub.progress;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.crawlerhub.protocol.IsoInstants;
import org.crawlerhub.protocol.JobReport;

/**
 * Progress of one job as the aggregator sees it. Every {@code on*} method is O(1) (bounded by the
 * size of the message's count maps) because job_progress arrives at more than 100k messages/s;
 * {@link #toJson} is only called when a throttled publish or a query needs it.
 *
 * <p>{@code status} is the lifecycle status as known from {@code hub.job.events} and the jobs
 * table only (it drives the fleet counts); crawler messages change what the job shows, never its
 * counted status. Milestones are a bit mask over {@link #MILESTONES}, cleared by a new attempt.
 */
final class JobProgressState {
  static final int[] MILESTONES = {25, 50, 75, 90, 100};
  static final int IGNORED = -1;

  final String jobId;
  int attempt = 1;
  String status;
  String crawlerId;
  String stage;
  String entityType;
  long processed;
  long total = -1;
  double completion;
  JsonObject itemCounts;
  JsonObject finalCounts;
  JsonObject partialCounts;
  JsonObject resumeState;
  String message;
  String error;
  String errorType;
  /** The crawler reported the attempt over (job_completed / job_failed); later progress is stale. */
  boolean closed;
  int milestoneMask;
  /** When each milestone was reached; made when the first one is (a queued job never needs it). */
  private long[] milestoneAt;
  long startedAtMs = IsoInstants.UNKNOWN;
  long finishedAtMs = IsoInstants.UNKNOWN;
  long updatedAtMs;
  long lastMessageTs = IsoInstants.UNKNOWN;
  double reportedRate = Double.NaN;
  private Map<String, Long> entities;
  /** Made on the first progress report: most jobs the aggregator knows are queued, and a backlog of a million is common. */
  private RateEstimator rate;
  private final long rateWindowMs;

  // Throttling (transport time, System.nanoTime): at most one publish per interval, last value kept.
  boolean dirty;
  long lastPublishNanos = Long.MIN_VALUE / 2;
  long firstPendingNanos;

  JobProgressState(String jobId, long rateWindowMs) {
    this.jobId = jobId;
    this.rateWindowMs = rateWindowMs;
  }

  /** Applies a job_progress report; returns newly reached milestones (bit mask) or {@link #IGNORED}. */
  int onProgress(JobReport r, String crawler, long nowMs) {
    if (closed || JobStatuses.finished(status) || "failed".equals(status)) {
      return IGNORED;
    }
    long messageTs = r.timestampMillis;
    long newProcessed = r.processed != JobReport.ABSENT ? r.processed : processed;
    long newTotal = r.total != JobReport.ABSENT ? r.total : total;
    String newStage = r.stage != null ? r.stage : stage;
    if (messageTs != IsoInstants.UNKNOWN && lastMessageTs != IsoInstants.UNKNOWN) {
      if (messageTs < lastMessageTs) {
        return IGNORED; // out of order: an older report than the one already applied
      }
      if (messageTs == lastMessageTs && newProcessed == processed && newTotal == total
          && java.util.Objects.equals(newStage, stage)) {
        return IGNORED; // duplicate
      }
    }
    lastMessageTs = messageTs;
    processed = newProcessed;
    total = newTotal;
    stage = newStage;
    if (r.entityType != null) {
      entityType = r.entityType;
    }
    if (r.itemCounts != null) {
      itemCounts = r.itemCounts;
      Map<String, Long> e = entities();
      for (int i = 0; i < r.countNames.length; i++) {
        e.put(r.countNames[i], r.countValues[i]);
      }
    } else if (entityType != null) {
      entities().put(entityType, processed);
    }
    if (r.resumeState != null) {
      resumeState = r.resumeState;
    }
    if (r.message != null) {
      message = r.message;
    }
    if (!Double.isNaN(r.processingRate)) {
      reportedRate = r.processingRate;
    }
    if (crawler != null) {
      crawlerId = crawler;
    }
    if (startedAtMs == IsoInstants.UNKNOWN) {
      startedAtMs = nowMs;
    }
    completion = total > 0 ? Math.min(1.0, (double) processed / total) : ("completed".equals(stage) ? 1.0 : 0.0);
    if (rate == null) {
      rate = new RateEstimator(rateWindowMs);
    }
    rate.observe(processed, nowMs);
    updatedAtMs = nowMs;
    return checkMilestones(nowMs);
  }

  void onStarted(JsonObject data, String crawler, long nowMs) {
    if (closed) {
      return;
    }
    if (crawler != null) {
      crawlerId = crawler;
    }
    String type = data == null ? null : data.getString("entityType");
    if (type != null) {
      entityType = type;
    }
    if (stage == null || "queued".equals(stage) || "assigned".equals(stage)) {
      stage = "started";
    }
    if (startedAtMs == IsoInstants.UNKNOWN) {
      startedAtMs = nowMs;
    }
    updatedAtMs = nowMs;
  }

  /** job_completed from the crawler; returns newly reached milestones. */
  int onCompleted(JsonObject data, String crawler, long nowMs) {
    if (crawler != null) {
      crawlerId = crawler;
    }
    Object counts = data.getValue("finalCounts");
    if (counts instanceof JsonObject fc) {
      finalCounts = fc;
      mergeCounts(fc);
    }
    Object msg = data.getValue("message");
    if (msg instanceof String s) {
      message = s;
    }
    if (Boolean.TRUE.equals(data.getValue("success"))) {
      return complete(nowMs);
    }
    fail(message, null, nowMs);
    return 0;
  }

  void onFailed(JsonObject data, String crawler, long nowMs) {
    if (crawler != null) {
      crawlerId = crawler;
    }
    Object counts = data.getValue("partialCounts");
    if (counts instanceof JsonObject pc) {
      partialCounts = pc;
      mergeCounts(pc);
    }
    Object resume = data.getValue("resumeState");
    if (resume instanceof JsonObject rs) {
      resumeState = rs;
    }
    fail(data.getString("error"), data.getString("errorType"), nowMs);
  }

  /**
   * Applies a committed lifecycle transition whose counting was already decided by the caller;
   * returns newly reached milestones.
   */
  int onLifecycle(String to, int eventAttempt, String crawler, JsonObject details, long nowMs) {
    if (eventAttempt > attempt) {
      newAttempt(eventAttempt);
    }
    status = to;
    if (crawler != null) {
      crawlerId = crawler;
    }
    updatedAtMs = nowMs;
    switch (to) {
      case "queued":
        stage = "queued";
        return 0;
      case "assigned":
        if (stage == null || "queued".equals(stage)) {
          stage = "assigned";
        }
        return 0;
      case "running":
        if (stage == null || "queued".equals(stage) || "assigned".equals(stage)) {
          stage = "started";
        }
        if (startedAtMs == IsoInstants.UNKNOWN) {
          startedAtMs = nowMs;
        }
        return 0;
      case "completed":
        return complete(nowMs);
      case "failed":
        fail(details == null ? error : details.getString("error", error),
            details == null ? errorType : details.getString("errorType", errorType), nowMs);
        return 0;
      default: // cancelled, dead
        stage = to;
        closed = true;
        if (finishedAtMs == IsoInstants.UNKNOWN) {
          finishedAtMs = nowMs;
        }
        return 0;
    }
  }

  /** Restores a job from its {@code jobs} row after a restart (rate unknown until new samples). */
  void restore(String rowStatus, int rowAttempt, String leaseOwner, JsonObject progress,
      JsonObject rowResumeState, long startedAt, long finishedAt, long updatedAt) {
    status = rowStatus;
    attempt = rowAttempt;
    crawlerId = leaseOwner;
    startedAtMs = startedAt;
    finishedAtMs = finishedAt;
    updatedAtMs = updatedAt;
    resumeState = rowResumeState;
    if (progress != null) {
      processed = longOf(progress.getValue("processed"), 0);
      total = longOf(progress.getValue("total"), -1);
      stage = progress.getString("stage");
      entityType = progress.getString("entityType");
      if (progress.getValue("itemCounts") instanceof JsonObject ic) {
        itemCounts = ic;
        mergeCounts(ic);
      }
      if (progress.getValue("entities") instanceof JsonObject en) {
        mergeCounts(en);
      }
      if (progress.getValue("resumeState") instanceof JsonObject rs && resumeState == null) {
        resumeState = rs;
      }
      if (progress.getValue("message") instanceof String m) {
        message = m;
      }
      completion = total > 0 ? Math.min(1.0, (double) processed / total)
          : progress.getValue("completion") instanceof Number c ? Math.max(0, Math.min(1, c.doubleValue())) : 0.0;
    }
    switch (rowStatus) {
      case "completed":
        stage = "completed";
        completion = 1.0;
        closed = true;
        break;
      case "failed":
        stage = "failed";
        closed = true;
        break;
      case "cancelled":
      case "dead":
        stage = rowStatus;
        closed = true;
        break;
      default:
        if (stage == null) {
          stage = rowStatus;
        }
    }
    // Milestones already passed before the restart were announced then: do not announce again.
    for (int i = 0; i < MILESTONES.length; i++) {
      if (reached(i)) {
        milestoneMask |= 1 << i;
        reachedAt(i, updatedAt);
      }
    }
  }

  private int complete(long nowMs) {
    stage = "completed";
    completion = 1.0;
    closed = true;
    if (finishedAtMs == IsoInstants.UNKNOWN) {
      finishedAtMs = nowMs;
    }
    updatedAtMs = nowMs;
    return checkMilestones(nowMs);
  }

  private void fail(String err, String type, long nowMs) {
    stage = "failed";
    closed = true;
    if (err != null) {
      error = err;
    }
    if (type != null) {
      errorType = type;
    }
    if (finishedAtMs == IsoInstants.UNKNOWN) {
      finishedAtMs = nowMs;
    }
    updatedAtMs = nowMs;
  }

  private void newAttempt(int next) {
    attempt = next;
    milestoneMask = 0;
    if (milestoneAt != null) {
      java.util.Arrays.fill(milestoneAt, 0);
    }
    if (rate != null) {
      rate.reset();
    }
    reportedRate = Double.NaN;
    lastMessageTs = IsoInstants.UNKNOWN;
    startedAtMs = IsoInstants.UNKNOWN;
    finishedAtMs = IsoInstants.UNKNOWN;
    closed = false;
    error = null;
    errorType = null;
  }

  private int checkMilestones(long nowMs) {
    int newly = 0;
    for (int i = 0; i < MILESTONES.length; i++) {
      int bit = 1 << i;
      if ((milestoneMask & bit) == 0 && reached(i)) {
        milestoneMask |= bit;
        reachedAt(i, nowMs);
        newly |= bit;
      }
    }
    return newly;
  }

  private void reachedAt(int milestone, long atMs) {
    if (milestoneAt == null) {
      milestoneAt = new long[MILESTONES.length];
    }
    milestoneAt[milestone] = atMs;
  }

  private boolean reached(int i) {
    if (completion >= 1.0) {
      return true;
    }
    // Exact integer comparison: 0.29 * 100 is 28.999... in doubles.
    return total > 0 && processed * 100 >= (long) MILESTONES[i] * total;
  }

  boolean active() {
    return !closed && (status == null || JobStatuses.active(status));
  }

  /** Items/s now: own estimate, else the crawler's own processingRate, else NaN. */
  double rate(long nowMs) {
    if (!active()) {
      return 0.0;
    }
    double r = rate == null ? Double.NaN : rate.rate(nowMs);
    if (Double.isNaN(r) && reportedRate > 0) {
      return reportedRate;
    }
    return r;
  }

  /** Items still to do, or -1 when the total is unknown. */
  long remaining() {
    return total > 0 ? Math.max(0, total - processed) : -1;
  }

  /** Remaining items / rate in ms; -1 when unknown. Never a fraction divided by a rate. */
  long etaMs(long nowMs) {
    if ("completed".equals(stage) && closed) {
      return 0;
    }
    if (!active()) {
      return -1;
    }
    long left = remaining();
    if (left == 0) {
      return 0;
    }
    double r = rate(nowMs);
    if (left < 0 || Double.isNaN(r) || r <= 0) {
      return -1;
    }
    return Math.round(left / r * 1000.0);
  }

  long elapsedMs(long nowMs) {
    if (startedAtMs == IsoInstants.UNKNOWN) {
      return 0;
    }
    long end = finishedAtMs != IsoInstants.UNKNOWN ? finishedAtMs : nowMs;
    return Math.max(0, end - startedAtMs);
  }

  /** SPEC §5 JobProgress plus attempt, crawlerId, status and the crawler's count maps. */
  JsonObject toJson(long nowMs) {
    JsonObject j = new JsonObject()
        .put("jobId", jobId)
        .put("attempt", attempt)
        .put("status", status == null ? "running" : status)
        .put("stage", stage)
        .put("processed", processed);
    if (crawlerId != null) {
      j.put("crawlerId", crawlerId);
    }
    if (entityType != null) {
      j.put("entityType", entityType);
    }
    if (total >= 0) {
      j.put("total", total);
    }
    j.put("completion", completion);
    double r = rate(nowMs);
    if (!Double.isNaN(r)) {
      j.put("rate", r);
    }
    long eta = etaMs(nowMs);
    if (eta >= 0) {
      j.put("etaMs", eta);
    }
    j.put("elapsedMs", elapsedMs(nowMs));
    JsonObject ent = new JsonObject();
    if (entities != null) {
      entities.forEach(ent::put);
    }
    j.put("entities", ent);
    if (itemCounts != null) {
      j.put("itemCounts", itemCounts);
    }
    if (finalCounts != null) {
      j.put("finalCounts", finalCounts);
    }
    if (partialCounts != null) {
      j.put("partialCounts", partialCounts);
    }
    JsonArray ms = new JsonArray();
    for (int i = 0; i < MILESTONES.length; i++) {
      if ((milestoneMask & (1 << i)) != 0) {
        ms.add(new JsonObject().put("milestone", MILESTONES[i])
            .put("reachedAt", Instant.ofEpochMilli(milestoneAt[i]).toString()));
      }
    }
    j.put("milestones", ms);
    if (resumeState != null) {
      j.put("resumeState", resumeState);
    }
    if (message != null) {
      j.put("message", message);
    }
    if (error != null) {
      j.put("error", error);
    }
    if (errorType != null) {
      j.put("errorType", errorType);
    }
    if (startedAtMs != IsoInstants.UNKNOWN) {
      j.put("startedAt", Instant.ofEpochMilli(startedAtMs).toString());
    }
    if (finishedAtMs != IsoInstants.UNKNOWN) {
      j.put("finishedAt", Instant.ofEpochMilli(finishedAtMs).toString());
    }
    j.put("updatedAt", Instant.ofEpochMilli(updatedAtMs).toString());
    return j;
  }

  private Map<String, Long> entities() {
    if (entities == null) {
      entities = new LinkedHashMap<>();
    }
    return entities;
  }

  private void mergeCounts(JsonObject counts) {
    Map<String, Long> e = entities();
    for (Map.Entry<String, Object> en : counts) {
      if (en.getValue() instanceof Number n) {
        e.put(en.getKey(), n.longValue());
      }
    }
  }

  private static long longOf(Object v, long fallback) {
    return v instanceof Number n ? n.longValue() : fallback;
  }
}
