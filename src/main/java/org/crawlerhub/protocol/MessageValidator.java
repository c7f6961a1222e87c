package org.crawlerhub.protocol;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.crawlerhub.protocol.Faults.Choice;
import org.crawlerhub.protocol.Faults.Kind;

/**
 * Envelope and schema validation of wire messages (SPEC §1.2–1.5). Reports every field at fault
 * with its path in one message, e.g. {@code data.processed: required number; data.stage: must be
 * one of discovering, fetching, completed, failed, got "fetch"}.
 *
 * <p>Order (SPEC §1.5): type, envelope ({@code timestamp}, {@code data}, {@code jobId}), then the
 * schema of the type; the first failing stage decides the code. {@code null} counts as absent,
 * unknown fields are never an error. A valid message costs one small collector object: no
 * exception, no regex, no string building.
 */
public final class MessageValidator {
  /** Values of {@code heartbeat.data.systemStatus}. */
  public static final List<String> SYSTEM_STATUSES = List.of("idle", "discovering", "processing", "error");
  /** Values of {@code job_progress.data.stage}. */
  public static final List<String> STAGES = List.of("discovering", "fetching", "completed", "failed");
  /** Values of {@code jobs_discovered.data.discovered_jobs[].job_type}. */
  public static final List<String> DISCOVERED_JOB_TYPES =
      List.of("discover_namespaces", "crawl_user", "crawl_group", "crawl_project");

  private static final Choice SYSTEM_STATUS = new Choice(SYSTEM_STATUSES.toArray(String[]::new));
  private static final Choice STAGE = new Choice(STAGES.toArray(String[]::new));
  private static final Choice JOB_TYPE = new Choice(DISCOVERED_JOB_TYPES.toArray(String[]::new));
  private static final Choice ENTITY_TYPE = new Choice(EntityType.wireNames());
  private static final Choice ERROR_CODE = new Choice(errorCodeNames());

  private MessageValidator() {}

  // ---- inbound --------------------------------------------------------------------------------

  /**
   * Validates a crawler->hub envelope, normally one made by {@link ProtocolCodec#decode}. Also
   * tolerates envelopes injected on the bus that still hold nulls or the {@code job_id} alias
   * (they are not modified; call {@link #prepareInbound} to normalise them).
   *
   * @throws ProtocolException UNKNOWN_TYPE, MISSING_JOB_ID or VALIDATION_FAILED naming every field
   *     at fault
   */
  public static void validateInbound(JsonObject msg) {
    Map<String, Object> m = msg.getMap();
    MessageType type = inboundType(m.get("type"));
    Object jobId = m.get("jobId");
    if (jobId == null) {
      jobId = m.get("job_id");
    }
    Faults f = new Faults("data");
    Object data = m.get("data");
    envelope(f, m.get("timestamp"), data, jobId, false);
    String jobIdText = jobId instanceof String s ? s : null;
    if (jobId == null && requiresJobId(type)) {
      String message = "jobId: required for " + type.wire() + (f.any() ? "; " + f.message() : "");
      throw new ProtocolException(ErrorCode.MISSING_JOB_ID, message, type.wire(), null);
    }
    if (f.any()) {
      throw new ProtocolException(ErrorCode.VALIDATION_FAILED, f.message(), type.wire(), jobIdText);
    }
    Map<String, Object> d = Faults.asMap(data);
    switch (type) {
      case HEARTBEAT -> heartbeat(d, f);
      case JOB_REQUEST -> f.optionalNonNegativeInt(d, "maxJobs");
      case JOB_STARTED -> jobStarted(d, f);
      case JOB_PROGRESS -> jobProgress(d, f);
      case JOB_COMPLETED -> jobCompleted(d, f);
      case JOB_FAILED -> jobFailed(d, f);
      case JOBS_DISCOVERED -> jobsDiscovered(d, f);
      case DISCOVERY -> discovery(d, f);
      case TOKEN_REFRESH_REQUEST -> tokenRefreshRequest(d, f);
      case HELLO -> hello(d, f);
      default -> throw new IllegalStateException("not an inbound type: " + type);
    }
    if (f.any()) {
      throw new ProtocolException(ErrorCode.VALIDATION_FAILED, f.message(), type.wire(), jobIdText);
    }
  }

  /**
   * Normalises ({@link ProtocolCodec#normaliseEnvelope}: nulls removed, {@code job_id} ->
   * {@code jobId}) and validates a crawler->hub envelope that did not come through
   * {@link ProtocolCodec#decode}, e.g. one sent on {@code hub.crawler.inbound} by another service.
   *
   * @return the same object, normalised
   * @throws ProtocolException as {@link #validateInbound}
   */
  public static JsonObject prepareInbound(JsonObject msg) {
    ProtocolCodec.normaliseEnvelope(msg);
    validateInbound(msg);
    return msg;
  }

  /** Types whose envelope requires a jobId (SPEC §1.3). */
  public static boolean requiresJobId(MessageType type) {
    return switch (type) {
      case JOB_STARTED, JOB_PROGRESS, JOB_COMPLETED, JOB_FAILED, JOBS_DISCOVERED, TOKEN_REFRESH_REQUEST -> true;
      default -> false;
    };
  }

  /** The inbound type named by an envelope's {@code type} member, or the rejection (SPEC §1.5). */
  static MessageType inboundType(Object t) {
    if (t == null) {
      throw new ProtocolException(ErrorCode.VALIDATION_FAILED, "type: required string");
    }
    if (!(t instanceof String s)) {
      throw new ProtocolException(ErrorCode.VALIDATION_FAILED, "type: must be a string, got "
          + ProtocolCodec.describe(t));
    }
    MessageType type = MessageType.fromWire(s);
    if (type == null) {
      throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, "type: unknown message type "
          + Faults.echo(s), s, null);
    }
    if (!type.inbound()) {
      throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, "type: '" + s
          + "' is a hub->crawler message type, not accepted from a crawler", s, null);
    }
    return type;
  }

  /** Envelope fields; an absent timestamp is allowed only for outbound messages (filled in). */
  private static void envelope(Faults f, Object timestamp, Object data, Object jobId,
      boolean timestampOptional) {
    if (timestamp == null) {
      if (!timestampOptional) {
        f.addRoot("timestamp", "required string");
      }
    } else if (!(timestamp instanceof String)) {
      f.addRoot("timestamp", "must be a string, got " + ProtocolCodec.describe(timestamp));
    }
    if (data == null) {
      f.addRoot("data", "required object");
    } else if (Faults.asMap(data) == null) {
      f.addRoot("data", "must be an object, got " + ProtocolCodec.describe(data));
    }
    if (jobId != null) {
      if (!(jobId instanceof String s)) {
        f.addRoot("jobId", "must be a string, got " + ProtocolCodec.describe(jobId));
      } else if (s.isEmpty()) {
        f.addRoot("jobId", "must be a non-empty string");
      }
    }
  }

  private static void heartbeat(Map<String, Object> d, Faults f) {
    f.required(d, "activeJobs", Kind.NUMBER);
    f.required(d, "totalProcessed", Kind.NUMBER);
    f.required(d, "systemStatus", SYSTEM_STATUS);
    f.optional(d, "uptime", Kind.NUMBER);
  }

  private static void jobStarted(Map<String, Object> d, Faults f) {
    f.optional(d, "entityType", Kind.STRING);
    f.optional(d, "entityId", Kind.ID);
  }

  private static void jobProgress(Map<String, Object> d, Faults f) {
    f.required(d, "stage", STAGE);
    f.required(d, "entityType", ENTITY_TYPE);
    f.required(d, "processed", Kind.NUMBER);
    f.optional(d, "total", Kind.NUMBER);
    f.optional(d, "message", Kind.STRING);
    resumeState(d, f, "data", -1);
    f.numberMap(d, "itemCounts", false);
    f.optional(d, "processingRate", Kind.NUMBER);
    f.optional(d, "estimatedTimeRemaining", Kind.NUMBER);
  }

  private static void jobCompleted(Map<String, Object> d, Faults f) {
    f.required(d, "success", Kind.BOOLEAN);
    f.numberMap(d, "finalCounts", true);
    f.optional(d, "message", Kind.STRING);
    f.stringArray(d, "outputFiles", false);
  }

  private static void jobFailed(Map<String, Object> d, Faults f) {
    f.required(d, "error", Kind.STRING);
    f.required(d, "isRecoverable", Kind.BOOLEAN);
    f.optional(d, "errorType", Kind.STRING);
    resumeState(d, f, "data", -1);
    f.numberMap(d, "partialCounts", false);
  }

  private static void jobsDiscovered(Map<String, Object> d, Faults f) {
    List<Object> jobs = f.array(d, "discovered_jobs", true);
    if (jobs != null) {
      for (int i = 0, n = jobs.size(); i < n; i++) {
        Map<String, Object> job = Faults.asMap(jobs.get(i));
        if (job == null) {
          f.at("data", -1, null).addElement("discovered_jobs", i,
              "must be an object, got " + ProtocolCodec.describe(jobs.get(i)));
          continue;
        }
        f.at("data.discovered_jobs", i, null);
        f.required(job, "job_type", JOB_TYPE);
        f.required(job, "entity_id", Kind.ID);
        f.required(job, "namespace_path", Kind.STRING);
        f.required(job, "entity_name", Kind.STRING);
        f.optional(job, "priority", Kind.NUMBER);
        f.numberMap(job, "estimated_size", false);
      }
      f.at("data");
    }
    Map<String, Object> summary = f.object(d, "discovery_summary", true);
    if (summary != null) {
      f.at("data.discovery_summary");
      f.optional(summary, "total_users", Kind.NUMBER);
      f.optional(summary, "total_groups", Kind.NUMBER);
      f.optional(summary, "total_projects", Kind.NUMBER);
      f.optional(summary, "hierarchy_depth", Kind.NUMBER);
      f.at("data");
    }
  }

  private static void discovery(Map<String, Object> d, Faults f) {
    f.required(d, "entityType", ENTITY_TYPE);
    List<Object> entities = f.array(d, "entities", true);
    if (entities != null) {
      for (int i = 0, n = entities.size(); i < n; i++) {
        Map<String, Object> e = Faults.asMap(entities.get(i));
        if (e == null) {
          f.at("data", -1, null).addElement("entities", i,
              "must be an object, got " + ProtocolCodec.describe(entities.get(i)));
          continue;
        }
        f.at("data.entities", i, null);
        f.required(e, "id", Kind.ID);
        f.required(e, "name", Kind.STRING);
        f.required(e, "path", Kind.STRING);
        f.optional(e, "parentId", Kind.ID);
      }
      f.at("data");
    }
  }

  private static void tokenRefreshRequest(Map<String, Object> d, Faults f) {
    f.optional(d, "current_token_expired", Kind.BOOLEAN);
    f.optional(d, "last_successful_request", Kind.STRING);
    f.optional(d, "error_details", Kind.STRING);
  }

  private static void hello(Map<String, Object> d, Faults f) {
    f.requiredNonEmpty(d, "crawlerId");
    f.optional(d, "version", Kind.STRING);
    f.stringArray(d, "capabilities", false);
    f.optional(d, "token", Kind.STRING);
  }

  /** ResumeState (all optional) under {@code owner.resumeState}, owner at {@code base[index]}. */
  private static void resumeState(Map<String, Object> owner, Faults f, String base, int index) {
    Map<String, Object> rs = f.object(owner, "resumeState", false);
    if (rs != null) {
      f.at(base, index, "resumeState");
      f.optional(rs, "lastEntityId", Kind.STRING);
      f.optional(rs, "currentPage", Kind.NUMBER);
      f.optional(rs, "entityType", Kind.STRING);
      f.at(base, index, null);
    }
  }

  // ---- outbound -------------------------------------------------------------------------------

  /**
   * Validates a hub->crawler message before it is written. An absent {@code timestamp} and absent
   * defaulted fields are accepted (see {@link #prepareOutbound}, which fills them).
   *
   * @throws ProtocolException UNKNOWN_TYPE (not a hub->crawler type) or VALIDATION_FAILED naming
   *     every field at fault
   */
  public static void validateOutbound(JsonObject msg) {
    Map<String, Object> m = msg.getMap();
    MessageType type = outboundType(m.get("type"));
    Faults f = new Faults("data");
    Object data = m.get("data");
    Object jobId = m.get("jobId");
    envelope(f, m.get("timestamp"), data, jobId, true);
    String jobIdText = jobId instanceof String s ? s : null;
    if (f.any()) {
      throw new ProtocolException(ErrorCode.VALIDATION_FAILED, f.message(), type.wire(), jobIdText);
    }
    Map<String, Object> d = Faults.asMap(data);
    switch (type) {
      case JOB_RESPONSE -> jobResponse(d, f);
      case TOKEN_REFRESH_RESPONSE -> tokenRefreshResponse(d, f);
      case JOB_ASSIGNMENT -> jobAssignment(d, f);
      case SHUTDOWN -> shutdown(d, f);
      case ERROR -> error(d, f);
      case WELCOME -> welcome(d, f);
      default -> throw new IllegalStateException("not an outbound type: " + type);
    }
    if (f.any()) {
      throw new ProtocolException(ErrorCode.VALIDATION_FAILED, f.message(), type.wire(), jobIdText);
    }
  }

  /**
   * Makes a hub->crawler message ready to write: removes nulls (absent), fills {@code timestamp}
   * when absent, applies the defaults of SPEC §1.4 ({@code job_assignment}: priority 1, resume
   * false; {@code shutdown}: graceful true, timeout_seconds 30; {@code welcome}: protocolVersion
   * 1), then validates it. Used by the gateway before writing, and by the HTTP API.
   *
   * @return the same object, completed
   * @throws ProtocolException as {@link #validateOutbound}
   */
  public static JsonObject prepareOutbound(JsonObject msg) {
    ProtocolCodec.stripNulls(msg);
    if (!msg.containsKey("timestamp")) {
      msg.put("timestamp", Frames.now());
    }
    Object t = msg.getValue("type");
    Map<String, Object> d = Faults.asMap(msg.getMap().get("data"));
    if (d != null && t instanceof String s) {
      MessageType type = MessageType.fromWire(s);
      if (type == MessageType.JOB_ASSIGNMENT) {
        d.putIfAbsent("priority", 1);
        d.putIfAbsent("resume", false);
      } else if (type == MessageType.SHUTDOWN) {
        d.putIfAbsent("graceful", true);
        d.putIfAbsent("timeout_seconds", 30);
      } else if (type == MessageType.WELCOME) {
        d.putIfAbsent("protocolVersion", 1);
      }
    }
    validateOutbound(msg);
    return msg;
  }

  private static MessageType outboundType(Object t) {
    if (t == null) {
      throw new ProtocolException(ErrorCode.VALIDATION_FAILED, "type: required string");
    }
    MessageType type = t instanceof String s ? MessageType.fromWire(s) : null;
    if (type == null || type.inbound()) {
      throw new ProtocolException(ErrorCode.UNKNOWN_TYPE, "type: not a hub->crawler message type: "
          + Faults.echo(t), t instanceof String s ? s : null, null);
    }
    return type;
  }

  private static void jobResponse(Map<String, Object> d, Faults f) {
    List<Object> jobs = f.array(d, "jobs", true);
    if (jobs == null) {
      return;
    }
    for (int i = 0, n = jobs.size(); i < n; i++) {
      Map<String, Object> job = Faults.asMap(jobs.get(i));
      if (job == null) {
        f.at("data", -1, null).addElement("jobs", i,
            "must be an object, got " + ProtocolCodec.describe(jobs.get(i)));
        continue;
      }
      f.at("data.jobs", i, null);
      f.requiredNonEmpty(job, "id");
      f.required(job, "entityType", Kind.STRING);
      f.required(job, "entityId", Kind.ID);
      f.required(job, "gitlabUrl", Kind.STRING);
      f.required(job, "accessToken", Kind.STRING);
      resumeState(job, f, "data.jobs", i);
    }
    f.at("data");
  }

  private static void tokenRefreshResponse(Map<String, Object> d, Faults f) {
    f.required(d, "accessToken", Kind.STRING);
    f.required(d, "refreshSuccessful", Kind.BOOLEAN);
    f.optional(d, "expiresAt", Kind.STRING);
    f.optional(d, "error", Kind.STRING);
  }

  private static void jobAssignment(Map<String, Object> d, Faults f) {
    f.requiredNonEmpty(d, "job_id");
    f.required(d, "job_type", Kind.STRING);
    f.optional(d, "entity_id", Kind.ID);
    f.optional(d, "namespace_path", Kind.STRING);
    f.required(d, "gitlab_host", Kind.STRING);
    f.required(d, "access_token", Kind.STRING);
    f.optional(d, "priority", Kind.NUMBER);
    f.optional(d, "resume", Kind.BOOLEAN);
  }

  private static void shutdown(Map<String, Object> d, Faults f) {
    f.optional(d, "graceful", Kind.BOOLEAN);
    f.optional(d, "timeout_seconds", Kind.NUMBER);
    f.optional(d, "reason", Kind.STRING);
  }

  private static void error(Map<String, Object> d, Faults f) {
    f.required(d, "code", ERROR_CODE);
    f.required(d, "message", Kind.STRING);
    f.optional(d, "refType", Kind.STRING);
  }

  private static void welcome(Map<String, Object> d, Faults f) {
    f.requiredNonEmpty(d, "crawlerId");
    f.required(d, "nodeId", Kind.STRING);
    f.optional(d, "protocolVersion", Kind.NUMBER);
    f.required(d, "heartbeatInterval", Kind.NUMBER);
    f.required(d, "heartbeatTimeout", Kind.NUMBER);
    f.required(d, "maxMessageSize", Kind.NUMBER);
    f.required(d, "maxJobsPerRequest", Kind.NUMBER);
  }

  private static String[] errorCodeNames() {
    ErrorCode[] all = ErrorCode.values();
    String[] names = new String[all.length];
    for (int i = 0; i < all.length; i++) {
      names[i] = all[i].name();
    }
    return names;
  }
}
