package org.crawlerhub.errors;

import io.vertx.core.json.JsonObject;
import java.util.Locale;
import org.crawlerhub.protocol.ErrorCategory;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.Severity;

/**
 * THE classification rules of the error manager, in one place: which category, severity and
 * retryability an error report gets, and which job and connection events are errors at all.
 *
 * <p>Precedence for a report: an explicit valid {@code category}/{@code severity} wins; else a
 * protocol {@link ErrorCode} decides ({@link ErrorCode#category()}, {@link ErrorCode#severity()});
 * else keywords in the message, error type and source; else {@code internal}.
 */
public final class ErrorClassifier {

  /** The outcome for one report. */
  public record Classification(ErrorCategory category, Severity severity, boolean retryable, String code) {}

  /** Codes of errors the hub derives itself (not wire codes). */
  public static final String JOB_FAILED = "JOB_FAILED";
  public static final String LEASE_EXPIRED = "LEASE_EXPIRED";
  public static final String JOB_STUCK = "JOB_STUCK";
  public static final String HEARTBEAT_TIMEOUT = "HEARTBEAT_TIMEOUT";
  public static final String CONNECTION_ERROR = "CONNECTION_ERROR";

  public Classification classify(JsonObject report) {
    String code = report.getString("code");
    ErrorCode wire = knownCode(code);
    ErrorCategory category = category(report.getString("category"));
    if (category == null) {
      category = wire != null ? wire.category() : guessCategory(report);
    }
    Severity severity = severity(report.getString("severity"));
    if (severity == null) {
      severity = wire != null && wire.category() == category ? wire.severity() : defaultSeverity(category);
    }
    JsonObject details = report.getValue("details") instanceof JsonObject d ? d : null;
    boolean retryable = details != null && details.getValue("recoverable") instanceof Boolean b
        ? b : retryable(category);
    return new Classification(category, severity, retryable, code);
  }

  /**
   * The error report a lifecycle transition on {@code hub.job.events} stands for, or null:
   * {@code to: failed} is a job_processing error carrying the crawler's error (high when not
   * recoverable); a lease that expired because its crawler went silent is a timeout; a job stuck
   * for {@code jobTimeout} is a job_processing error.
   */
  public JsonObject fromJobEvent(JsonObject ev) {
    String to = ev.getString("to");
    String reason = ev.getString("reason", "");
    JsonObject details = ev.getValue("details") instanceof JsonObject d ? d : new JsonObject();
    JsonObject report = new JsonObject().put("source", "jobs").put("jobId", ev.getString("jobId"))
        .put("crawlerId", ev.getString("crawlerId")).put("at", ev.getString("at"));
    JsonObject context = new JsonObject().put("from", ev.getString("from")).put("to", to)
        .put("attempt", ev.getValue("attempt")).put("maxAttempts", ev.getValue("maxAttempts"))
        .put("reason", ev.getString("reason"));
    if ("failed".equals(to)) {
      boolean recoverable = !Boolean.FALSE.equals(details.getValue("recoverable"));
      String error = details.getString("error", reason.isEmpty() ? "job failed" : reason);
      return report.put("code", JOB_FAILED).put("category", ErrorCategory.JOB_PROCESSING.wire())
          .put("severity", (recoverable ? Severity.MEDIUM : Severity.HIGH).wire())
          .put("message", "job " + ev.getString("jobId") + " failed: " + error)
          .put("details", context.put("recoverable", recoverable).put("error", error)
              .put("errorType", details.getString("errorType")));
    }
    String r = reason.toLowerCase(Locale.ROOT);
    if (r.contains("stuck") || r.contains("job_timeout") || r.contains("jobtimeout")) {
      return report.put("code", JOB_STUCK).put("category", ErrorCategory.JOB_PROCESSING.wire())
          .put("severity", Severity.MEDIUM.wire()).put("details", context.put("recoverable", true))
          .put("message", "job " + ev.getString("jobId") + " sent nothing for too long and was requeued (" + reason + ")");
    }
    if (r.contains("lease") || r.contains("expire")) {
      return report.put("code", LEASE_EXPIRED).put("category", ErrorCategory.TIMEOUT.wire())
          .put("severity", Severity.MEDIUM.wire()).put("details", context.put("recoverable", true))
          .put("message", "lease of job " + ev.getString("jobId") + " held by " + ev.getString("crawlerId")
              + " expired (" + reason + ")");
    }
    return null;
  }

  /**
   * The error report a connection event on {@code hub.crawler.events} stands for, or null:
   * heartbeat_timeout is a timeout, rejected is authentication (bad or missing token) or resource
   * (connection limit), error is a connection error.
   */
  public JsonObject fromCrawlerEvent(JsonObject ev) {
    String event = ev.getString("event");
    if (event == null) {
      return null;
    }
    String reason = ev.getString("reason");
    String code = ev.getString("code");
    JsonObject report = new JsonObject().put("source", "gateway").put("crawlerId", ev.getString("crawlerId"))
        .put("connectionId", ev.getString("connectionId")).put("nodeId", ev.getString("nodeId"))
        .put("at", ev.getString("at"))
        .put("details", new JsonObject().put("event", event).put("reason", reason)
            .put("transport", ev.getString("transport")));
    String who = ev.getString("crawlerId", ev.getString("connectionId"));
    switch (event) {
      case "heartbeat_timeout":
        return report.put("code", HEARTBEAT_TIMEOUT).put("category", ErrorCategory.TIMEOUT.wire())
            .put("severity", Severity.MEDIUM.wire())
            .put("message", "crawler " + who + " sent nothing within the heartbeat timeout");
      case "rejected": {
        String text = ((code == null ? "" : code) + " " + (reason == null ? "" : reason)).toLowerCase(Locale.ROOT);
        boolean auth = ErrorCode.UNAUTHENTICATED.name().equals(code) || text.contains("auth") || text.contains("token");
        ErrorCode wire = auth ? ErrorCode.UNAUTHENTICATED : ErrorCode.OVERLOADED;
        return report.put("code", code != null ? code : wire.name())
            .put("category", wire.category().wire()).put("severity", wire.severity().wire())
            .put("message", "connection " + ev.getString("connectionId") + " rejected: "
                + (reason != null ? reason : wire.name()));
      }
      case "error":
        return report.put("code", code != null ? code : CONNECTION_ERROR)
            .put("category", ErrorCategory.CONNECTION.wire()).put("severity", Severity.MEDIUM.wire())
            .put("message", "connection error for " + who + (reason != null ? ": " + reason : ""));
      default:
        return null;
    }
  }

  static Severity defaultSeverity(ErrorCategory c) {
    switch (c) {
      case MESSAGE_PARSING:
      case MESSAGE_VALIDATION:
      case RATE_LIMITING:
        return Severity.LOW;
      case CONNECTION:
      case NETWORK:
      case TIMEOUT:
      case JOB_PROCESSING:
        return Severity.MEDIUM;
      case CONFIGURATION:
        return Severity.CRITICAL;
      default: // database, authentication, resource, internal
        return Severity.HIGH;
    }
  }

  static boolean retryable(ErrorCategory c) {
    switch (c) {
      case CONNECTION:
      case NETWORK:
      case TIMEOUT:
      case RATE_LIMITING:
      case DATABASE:
      case RESOURCE:
      case JOB_PROCESSING:
        return true;
      default:
        return false;
    }
  }

  private static ErrorCategory guessCategory(JsonObject report) {
    JsonObject details = report.getValue("details") instanceof JsonObject d ? d : new JsonObject();
    String text = (report.getString("message", "") + " " + details.getString("errorType", "") + " "
        + details.getString("error", "")).toLowerCase(Locale.ROOT);
    String source = report.getString("source", "").toLowerCase(Locale.ROOT);
    if (text.contains("timeout") || text.contains("timed out")) {
      return ErrorCategory.TIMEOUT;
    }
    if (text.contains("rate limit") || text.contains("429") || text.contains("too many requests")) {
      return ErrorCategory.RATE_LIMITING;
    }
    if (text.contains("unauthori") || text.contains("forbidden") || text.contains("401") || text.contains("403")
        || text.contains("token") || text.contains("authentica")) {
      return ErrorCategory.AUTHENTICATION;
    }
    if (source.contains("persistence") || source.contains("database") || text.contains("database")
        || text.contains("sql") || text.contains("postgres")) {
      return ErrorCategory.DATABASE;
    }
    if (text.contains("econnrefused") || text.contains("econnreset") || text.contains("enotfound")
        || text.contains("dns") || text.contains("network") || text.contains("unreachable")) {
      return ErrorCategory.NETWORK;
    }
    if (text.contains("connection") || text.contains("socket")) {
      return ErrorCategory.CONNECTION;
    }
    if (text.contains("json") || text.contains("parse")) {
      return ErrorCategory.MESSAGE_PARSING;
    }
    if (text.contains("validation") || text.contains("invalid")) {
      return ErrorCategory.MESSAGE_VALIDATION;
    }
    if (text.contains("memory") || text.contains("disk") || text.contains("quota") || text.contains("capacity")
        || text.contains("overload")) {
      return ErrorCategory.RESOURCE;
    }
    if (text.contains("config")) {
      return ErrorCategory.CONFIGURATION;
    }
    if (source.contains("job")) {
      return ErrorCategory.JOB_PROCESSING;
    }
    return ErrorCategory.INTERNAL;
  }

  private static ErrorCode knownCode(String code) {
    if (code == null) {
      return null;
    }
    try {
      return ErrorCode.valueOf(code);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static ErrorCategory category(String s) {
    try {
      return s == null ? null : ErrorCategory.fromWire(s);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static Severity severity(String s) {
    try {
      return s == null ? null : Severity.fromWire(s);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
