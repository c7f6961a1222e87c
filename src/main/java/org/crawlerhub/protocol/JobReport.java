package org.crawlerhub.protocol;

import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.Map;

/**
 * What one accepted {@code job_started}, {@code job_progress}, {@code job_completed} or
 * {@code job_failed} said about its job, read once on the thread that decoded and routed it.
 *
 * <p>The progress aggregator consumes these instead of the envelopes. A JSON tree is a web of small
 * maps and boxed numbers; read on another core, every entry is a cache miss, and that was most of
 * the aggregator's cost per message (bench/RESULTS.md). A report is a handful of fields next to each
 * other, filled while the envelope is still in the router's cache. For {@code job_progress} every
 * field the aggregator uses is extracted; the other three types are rare (once per job) and keep
 * only their {@link #data}.
 *
 * <p>Immutable by convention: the arrays and JSON objects are shared with the envelope and with
 * every consumer, and nobody changes them.
 */
public final class JobReport {
  /** {@link #processed} or {@link #total} not in the message. */
  public static final long ABSENT = Long.MIN_VALUE;
  private static final String[] NO_NAMES = {};
  private static final long[] NO_VALUES = {};

  public final MessageType type;
  public final String jobId;
  /** The envelope's timestamp in epoch milliseconds, or {@link IsoInstants#UNKNOWN}. */
  public final long timestampMillis;
  /** The message's {@code data} (read-only). */
  public final JsonObject data;

  // job_progress only (absent: ABSENT, null or NaN)
  public final long processed;
  public final long total;
  public final String stage;
  public final String entityType;
  public final String message;
  public final double processingRate;
  public final JsonObject itemCounts;
  public final JsonObject resumeState;
  /** The numeric entries of {@link #itemCounts}, in its order. */
  public final String[] countNames;
  public final long[] countValues;

  private JobReport(MessageType type, String jobId, long timestampMillis, JsonObject data) {
    this.type = type;
    this.jobId = jobId;
    this.timestampMillis = timestampMillis;
    this.data = data;
    if (type != MessageType.JOB_PROGRESS) {
      this.processed = ABSENT;
      this.total = ABSENT;
      this.stage = null;
      this.entityType = null;
      this.message = null;
      this.processingRate = Double.NaN;
      this.itemCounts = null;
      this.resumeState = null;
      this.countNames = NO_NAMES;
      this.countValues = NO_VALUES;
      return;
    }
    Map<String, Object> d = data.getMap();
    this.processed = longOf(d.get("processed"));
    this.total = longOf(d.get("total"));
    this.stage = d.get("stage") instanceof String s ? s : null;
    this.entityType = d.get("entityType") instanceof String s ? s : null;
    this.message = d.get("message") instanceof String s ? s : null;
    this.processingRate = d.get("processingRate") instanceof Number n ? n.doubleValue() : Double.NaN;
    this.itemCounts = RawFields.object(d.get("itemCounts"));
    this.resumeState = RawFields.object(d.get("resumeState"));
    Map<String, Object> counts = itemCounts == null ? null : itemCounts.getMap();
    if (counts == null || counts.isEmpty()) {
      this.countNames = NO_NAMES;
      this.countValues = NO_VALUES;
      return;
    }
    String[] names = new String[counts.size()];
    long[] values = new long[names.length];
    int n = 0;
    if (counts instanceof CompactMap c) { // as parsed: by index, no iterator or entry objects
      for (int k = 0; k < names.length; k++) {
        if (c.valueAt(k) instanceof Number v) {
          names[n] = c.nameAt(k);
          values[n++] = v.longValue();
        }
      }
    } else {
      for (Map.Entry<String, Object> e : counts.entrySet()) {
        if (e.getValue() instanceof Number v) {
          names[n] = e.getKey();
          values[n++] = v.longValue();
        }
      }
    }
    this.countNames = n == names.length ? names : n == 0 ? NO_NAMES : Arrays.copyOf(names, n);
    this.countValues = n == values.length ? values : n == 0 ? NO_VALUES : Arrays.copyOf(values, n);
  }

  /** The report of a job message of {@code type} with the given data ({@code data} null: empty). */
  public static JobReport of(MessageType type, String jobId, long timestampMillis, JsonObject data) {
    if (!isReported(type)) {
      throw new IllegalArgumentException("not a job report type: " + type);
    }
    return new JobReport(type, jobId, timestampMillis, data == null ? new JsonObject() : data);
  }

  /**
   * The report of an accepted envelope, or null when it is not one of the four job message types
   * or has no {@code jobId}.
   */
  public static JobReport fromEnvelope(JsonObject envelope) {
    Map<String, Object> env = envelope.getMap();
    MessageType type = env.get("type") instanceof String t ? MessageType.fromWire(t) : null;
    if (!isReported(type) || !(env.get("jobId") instanceof String jobId)) {
      return null;
    }
    long ts = env.get("timestamp") instanceof String s ? IsoInstants.toEpochMillis(s) : IsoInstants.UNKNOWN;
    JsonObject data = RawFields.object(env.get("data"));
    return new JobReport(type, jobId, ts, data != null ? data : new JsonObject());
  }

  /** job_started, job_progress, job_completed and job_failed are reported to the aggregator. */
  public static boolean isReported(MessageType type) {
    return type == MessageType.JOB_STARTED || type == MessageType.JOB_PROGRESS
        || type == MessageType.JOB_COMPLETED || type == MessageType.JOB_FAILED;
  }

  /** JSON for the cluster wire: {@code {type, jobId, timestamp (epoch ms, absent when unknown), data}}. */
  public JsonObject toJson() {
    JsonObject j = new JsonObject().put("type", type.wire()).put("jobId", jobId).put("data", data);
    if (timestampMillis != IsoInstants.UNKNOWN) {
      j.put("timestamp", timestampMillis);
    }
    return j;
  }

  /** The inverse of {@link #toJson()}; null when it does not describe a report. */
  public static JobReport fromJson(JsonObject j) {
    MessageType type = j.getValue("type") instanceof String t ? MessageType.fromWire(t) : null;
    if (!isReported(type) || !(j.getValue("jobId") instanceof String jobId)) {
      return null;
    }
    long ts = j.getValue("timestamp") instanceof Number n ? n.longValue() : IsoInstants.UNKNOWN;
    return new JobReport(type, jobId, ts, j.getValue("data") instanceof JsonObject d ? d : new JsonObject());
  }

  private static long longOf(Object v) {
    return v instanceof Number n ? n.longValue() : ABSENT;
  }
}
