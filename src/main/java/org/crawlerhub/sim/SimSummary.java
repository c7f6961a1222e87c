package org.crawlerhub.sim;

import java.util.Locale;
import java.util.Map;

/** What a {@link FleetSimulator} run did, as printed at its end. */
public record SimSummary(
    int crawlers,
    boolean idleMode,
    long elapsedNanos,
    int enqueued,
    long sent,
    long received,
    long bytesSent,
    Map<String, Long> sentByType,
    Map<String, Long> receivedByType,
    Map<String, Long> errorsByCode,
    long everConnected,
    int peakConnected,
    int connectedBeforeDeadline,
    long jobsStarted,
    long jobsCompleted,
    long jobsFailed,
    long jobsReleased,
    long emptyResponses,
    long crashes,
    long jobsAbandoned,
    long reconnects,
    LatencyHistogram jobRequestLatency,
    LatencyHistogram tokenRefreshLatency) {

  public double seconds() {
    return elapsedNanos / 1e9;
  }

  public long sent(String type) {
    return sentByType.getOrDefault(type, 0L);
  }

  public long received(String type) {
    return receivedByType.getOrDefault(type, 0L);
  }

  /** Errors from {@code error} frames (by wire code) and local failures ({@code local:*}). */
  public long errors() {
    return errorsByCode.values().stream().mapToLong(Long::longValue).sum();
  }

  public String format() {
    StringBuilder b = new StringBuilder();
    double s = Math.max(seconds(), 1e-9);
    b.append(String.format(Locale.ROOT, "=== fleet simulator summary (%s, %d crawlers, %.1f s) ===%n",
        idleMode ? "idle connections" : "crawl", crawlers, seconds()));
    if (enqueued > 0) {
      b.append("jobs enqueued via API : ").append(enqueued).append('\n');
    }
    b.append(String.format(Locale.ROOT, "connections          : %d opened, peak %d connected%s%n",
        everConnected, peakConnected, idleMode
            ? ", " + connectedBeforeDeadline + " still connected 0.2 s before the deadline" : ""));
    b.append(String.format(Locale.ROOT, "messages sent        : %d (%.0f msg/s, %.1f MB)  %s%n",
        sent, sent / s, bytesSent / 1e6, sentByType));
    b.append(String.format(Locale.ROOT, "messages received    : %d (%.0f msg/s)  %s%n",
        received, received / s, receivedByType));
    if (!idleMode) {
      b.append(String.format(Locale.ROOT,
          "jobs                 : %d started, %d completed, %d failed, %d handed back; %d empty job_responses%n",
          jobsStarted, jobsCompleted, jobsFailed, jobsReleased, emptyResponses));
      if (crashes > 0) {
        b.append(String.format(Locale.ROOT,
            "crashes              : %d (connection dropped mid-job), %d jobs abandoned to lease expiry%n",
            crashes, jobsAbandoned));
      }
      if (reconnects > 0) {
        b.append(String.format(Locale.ROOT, "reconnects           : %d (the hub closed the connection)%n", reconnects));
      }
      b.append("job_request RTT      : ").append(jobRequestLatency.summaryMillis()).append('\n');
      if (tokenRefreshLatency.count() > 0) {
        b.append("token_refresh RTT    : ").append(tokenRefreshLatency.summaryMillis()).append('\n');
      }
    }
    b.append("errors               : ").append(errorsByCode.isEmpty() ? "none" : errorsByCode.toString());
    return b.toString();
  }
}
