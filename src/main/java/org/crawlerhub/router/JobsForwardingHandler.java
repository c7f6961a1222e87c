package org.crawlerhub.router;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.bus.BusReplies;
import org.crawlerhub.bus.LeaseView;
import org.crawlerhub.bus.LocalJsonCodec;
import org.crawlerhub.bus.LocalOnlyCodec;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.Frames;
import org.crawlerhub.protocol.JobCommand;
import org.crawlerhub.protocol.JobCommandBatch;
import org.crawlerhub.protocol.MessageType;
import org.crawlerhub.protocol.ProtocolException;
import org.crawlerhub.protocol.RawFields;

/**
 * Built-in handler for the job lifecycle types: forwards the envelope (same headers) with
 * request/reply to {@link Addresses#JOBS_COMMAND}, node-local. The request is issued before
 * {@code handle} returns, so the jobs verticle sees a connection's messages in arrival order.
 *
 * <p>Reply {@code {"frames":[...]}} -> accepted with those frames. Reply
 * {@code {"error":{"code","message"}}} (optionally with {@code frames}) -> rejected with that code.
 * A failed reply whose message is {@code "CODE: message"} -> rejected with that code. No jobs
 * service or a timeout -> {@code INTERNAL} "job service unavailable: ...", marked retryable.
 *
 * <p>A {@code job_request} with {@code data.maxJobs} 0 is answered here with an empty
 * {@code job_response} (the jobs service would answer the same at once, and nothing changes).
 * A {@code job_progress} may be accepted here from the lease view (see {@link #handle}).
 *
 * <p>A crawler waiting for an answer always gets one: a rejected {@code job_request} without a
 * {@code job_response} frame gets an empty one, a rejected {@code token_refresh_request} without a
 * {@code token_refresh_response} gets a failed one (SPEC §1.3, §2.4), before the error frame.
 */
public final class JobsForwardingHandler implements MessageHandler {
  /** Types this handler is registered for. */
  public static final Set<MessageType> TYPES = EnumSet.of(MessageType.JOB_REQUEST,
      MessageType.JOB_STARTED, MessageType.JOB_PROGRESS, MessageType.JOB_COMPLETED,
      MessageType.JOB_FAILED, MessageType.JOBS_DISCOVERED, MessageType.DISCOVERY,
      MessageType.TOKEN_REFRESH_REQUEST);

  private static final Set<String> LIFECYCLE = Set.of(MessageType.JOB_STARTED.wire(),
      MessageType.JOB_PROGRESS.wire(), MessageType.JOB_COMPLETED.wire(), MessageType.JOB_FAILED.wire());

  /** Default reply timeout for {@code hub.jobs.command}. */
  public static final long DEFAULT_TIMEOUT_MS = 30_000;

  private final EventBus bus;
  private final long timeoutMs;
  /** The jobs service's running leases, or null: then every job_progress goes to the jobs service. */
  private final LeaseView leases;
  /** While a batch is being routed: the commands collected for one batch request (else null). */
  private List<Collected> collected;
  private MultiMap collectedHeaders;
  /** Per crawler: how many of its commands the jobs service has not answered yet. */
  private final Map<String, Integer> awaiting = new HashMap<>();

  /** A command to send; {@code result} is null for a progress accepted here (nothing is awaited). */
  private record Collected(RoutedMessage ctx, JobCommand command, Promise<HandlerResult> result) {}

  public JobsForwardingHandler(EventBus bus) {
    this(bus, DEFAULT_TIMEOUT_MS, null);
  }

  public JobsForwardingHandler(EventBus bus, long timeoutMs) {
    this(bus, timeoutMs, null);
  }

  /**
   * @param leases the node's lease view: a {@code job_progress} of a running job under the sender's
   *     lease is then accepted here while nothing else of that crawler is in flight at the jobs
   *     service, and only recorded there (see {@link #handle}); null to send every one
   */
  public JobsForwardingHandler(EventBus bus, long timeoutMs, LeaseView leases) {
    this.bus = bus;
    this.timeoutMs = timeoutMs;
    this.leases = leases;
    LocalJsonCodec.register(bus);
    LocalOnlyCodec.register(bus, JobCommandBatch.class);
  }

  /**
   * From now until {@link #endBatch()}, commands are collected instead of sent, and then sent as
   * one request to {@link Addresses#JOBS_COMMAND_BATCH} (in order; a change of headers starts a
   * new request). Only for a caller that routes a batch synchronously on one event loop and knows
   * the batch address has a consumer: the jobs service still sees every command in arrival order
   * because nothing else is sent from this handler before the batch is flushed.
   */
  void beginBatch() {
    if (collected == null) {
      collected = new ArrayList<>();
    }
  }

  /** Sends what was collected since {@link #beginBatch()} and goes back to one request per command. */
  void endBatch() {
    flushCollected();
    collected = null;
  }

  private void flushCollected() {
    List<Collected> batch = collected;
    if (batch == null || batch.isEmpty()) {
      return;
    }
    collected = new ArrayList<>();
    MultiMap headers = collectedHeaders;
    collectedHeaders = null;
    Collected first = batch.get(0);
    if (batch.size() == 1 && first.result() != null) {
      send(first.ctx()).andThen(x -> answered(first.ctx())).onComplete(first.result()); // counted when collected
      return;
    }
    List<JobCommand> commands = new ArrayList<>(batch.size());
    boolean awaited = false;
    for (Collected c : batch) {
      commands.add(c.command());
      awaited |= c.result() != null;
    }
    DeliveryOptions opts = new DeliveryOptions().setLocalOnly(true).setSendTimeout(timeoutMs).setHeaders(headers);
    if (!awaited) {
      // only progress accepted here: recorded by the jobs service, nothing to wait for
      bus.send(Addresses.JOBS_COMMAND_BATCH, new JobCommandBatch(commands), opts);
      return;
    }
    bus.<Object>request(Addresses.JOBS_COMMAND_BATCH, new JobCommandBatch(commands), opts)
        .onComplete(ar -> {
          JsonArray replies = ar.succeeded() && ar.result().body() instanceof JsonObject b
              && b.getValue("replies") instanceof JsonArray a && a.size() == batch.size() ? a : null;
          for (int i = 0; i < batch.size(); i++) {
            Collected c = batch.get(i);
            if (c.result() != null) {
              answered(c.ctx());
              c.result().complete(ar.failed() ? fromFailure(c.ctx(), ar.cause())
                  : fromBody(c.ctx(), replies == null ? null : replies.getList().get(i))); // raw: no wrapping per reply
            }
          }
        });
  }

  /**
   * Handles a job_progress here when that is safe (see {@link #handle}) and returns its result;
   * else null.
   */
  private Future<HandlerResult> acceptHere(RoutedMessage ctx) {
    if (leases == null || ctx.crawlerId() == null || !MessageType.JOB_PROGRESS.wire().equals(ctx.type())
        || awaiting.containsKey(ctx.crawlerId())) {
      return null;
    }
    JsonObject env = ctx.envelope();
    String jobId = RawFields.string(env, "jobId");
    LeaseView.Lease lease = jobId == null ? null : leases.running(jobId);
    if (lease == null || !lease.owner().equals(ctx.crawlerId())) {
      return null; // not running, not cached or not this crawler's: the jobs service decides (and says why)
    }
    JsonObject data = RawFields.object(env, "data");
    JobCommand accepted = JobCommand.acceptedProgress(jobId, env, data,
        data == null ? null : RawFields.object(data, "resumeState"), lease.attempt());
    int last = collected.size() - 1;
    Collected prev = last < 0 ? null : collected.get(last);
    if (prev != null && prev.result() == null && jobId.equals(prev.command().jobId())) {
      // the same job's progress right before: only the latest is kept for the database
      collected.set(last, new Collected(ctx, prev.command().followedBy(accepted), null));
    } else {
      collected.add(new Collected(ctx, accepted, null));
    }
    return HandlerResult.acceptedFuture();
  }

  private void sent(RoutedMessage ctx) {
    if (changesLeases(ctx)) {
      awaiting.merge(ctx.crawlerId(), 1, Integer::sum);
    }
  }

  private void answered(RoutedMessage ctx) {
    if (changesLeases(ctx)) {
      awaiting.computeIfPresent(ctx.crawlerId(), (k, n) -> n == 1 ? null : n - 1);
    }
  }

  /** The lifecycle types: the only commands that move a job its crawler holds (a claim takes queued ones). */
  private static boolean changesLeases(RoutedMessage ctx) {
    return ctx.type() != null && LIFECYCLE.contains(ctx.type());
  }

  /**
   * Forwards the message to the jobs service, or, while a batch is routed, collects it for the batch
   * request. A {@code job_progress} is accepted right here instead when the node's lease view says
   * the job is running under the sender's lease and the jobs service has no lifecycle message of
   * that crawler unanswered (so a job_completed or job_failed sent before it, still in flight, is decided
   * first and the progress is then judged after it); it still goes to the jobs service in the batch
   * (fire and forget, consecutive ones of one job as the latest only), which records it for the
   * database if the lease is still the one it was accepted under.
   */
  @Override
  public Future<HandlerResult> handle(RoutedMessage ctx) {
    if (asksForNoJobs(ctx)) {
      // nothing to claim and nothing changes: the jobs service would answer the same at once
      return Future.succeededFuture(HandlerResult.accepted(new JsonArray().add(Frames.jobResponse(new JsonArray()))));
    }
    if (collected != null) {
      MultiMap h = ctx.headers();
      if (collectedHeaders != null && h != collectedHeaders) {
        flushCollected();
      }
      collectedHeaders = h;
      Future<HandlerResult> here = acceptHere(ctx);
      if (here != null) {
        return here;
      }
      Promise<HandlerResult> p = Promise.promise();
      sent(ctx);
      // read what the jobs service needs now, while the envelope is in this core's cache
      collected.add(new Collected(ctx, JobCommand.fromEnvelope(ctx.envelope()), p));
      return p.future();
    }
    return sendAwaited(ctx);
  }

  /** A {@code job_request} with {@code data.maxJobs} 0: answered with an empty job_response right here. */
  private static boolean asksForNoJobs(RoutedMessage ctx) {
    if (!MessageType.JOB_REQUEST.wire().equals(ctx.type())) {
      return false;
    }
    JsonObject data = RawFields.object(ctx.envelope(), "data");
    return data != null && RawFields.get(data, "maxJobs") instanceof Number n && n.longValue() <= 0;
  }

  /** One command as one request, counted as unanswered until its reply. */
  private Future<HandlerResult> sendAwaited(RoutedMessage ctx) {
    sent(ctx);
    return send(ctx).andThen(x -> answered(ctx));
  }

  private Future<HandlerResult> send(RoutedMessage ctx) {
    // The envelope is handed over without a copy: the router never changes it after routing and
    // the jobs service treats it as read-only.
    DeliveryOptions opts = new DeliveryOptions().setLocalOnly(true).setSendTimeout(timeoutMs)
        .setHeaders(ctx.headers()).setCodecName(LocalJsonCodec.NAME);
    return bus.<Object>request(Addresses.JOBS_COMMAND, ctx.envelope(), opts)
        .transform(ar -> Future.succeededFuture(ar.succeeded()
            ? fromReply(ctx, ar.result())
            : fromFailure(ctx, ar.cause())));
  }

  static HandlerResult fromReply(RoutedMessage ctx, Message<Object> reply) {
    return fromBody(ctx, reply.body());
  }

  /** One command's reply body (a single reply, or one entry of a batch reply). */
  static HandlerResult fromBody(RoutedMessage ctx, Object replyBody) {
    if (replyBody == BusReplies.NO_FRAMES) {
      return HandlerResult.accepted(); // the common case, recognised without reading the reply
    }
    JsonObject body = RawFields.object(replyBody);
    if (body == null) {
      return rejected(ctx, new ProtocolException(ErrorCode.INTERNAL,
          "internal error: job service sent an unexpected reply"), null);
    }
    Object err = body.getValue("error");
    Object frames = body.getValue("frames");
    if (err == null) {
      return frames instanceof JsonArray ? HandlerResult.acceptedWith(body) : HandlerResult.accepted();
    }
    ErrorCode code;
    String message;
    if (err instanceof JsonObject e) {
      code = ErrorCode.parse(e.getValue("code") instanceof String s ? s : null);
      message = e.getValue("message") instanceof String s ? s : code.name().toLowerCase(Locale.ROOT);
    } else {
      code = ErrorCode.parse(String.valueOf(err));
      message = body.getValue("message") instanceof String s ? s : String.valueOf(err);
    }
    return rejected(ctx, new ProtocolException(code, message, ctx.type(), ctx.jobId()),
        frames instanceof JsonArray a ? a : null);
  }

  HandlerResult fromFailure(RoutedMessage ctx, Throwable t) {
    if (t instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE) {
      return rejected(ctx, Frames.toProtocolException(t).withRef(ctx.type(), ctx.jobId()), null);
    }
    String detail;
    if (t instanceof ReplyException re) {
      detail = re.failureType() == ReplyFailure.TIMEOUT
          ? "no reply within " + timeoutMs + " ms"
          : "no consumer on " + Addresses.JOBS_COMMAND;
    } else {
      detail = t.getClass().getSimpleName();
    }
    ProtocolException pe = new ProtocolException(ErrorCode.INTERNAL,
        "job service unavailable: " + detail, ctx.type(), ctx.jobId());
    return rejected(ctx, pe, null).retryable(null);
  }

  /** A rejection, with the answer the crawler waits for when the jobs service gave none. */
  private static HandlerResult rejected(RoutedMessage ctx, ProtocolException pe, JsonArray frames) {
    return HandlerResult.rejected(pe, withOwedAnswer(ctx.type(), ctx.jobId(), pe.getMessage(), frames));
  }

  /**
   * {@code frames} with the answer a crawler waits for put first when it is missing: an empty
   * {@code job_response} for a rejected {@code job_request}, a failed {@code token_refresh_response}
   * for a rejected {@code token_refresh_request}; other types unchanged. Whoever rejects the
   * message (validation, rate limit, the jobs service) the crawler is never left waiting.
   */
  static JsonArray withOwedAnswer(String type, String jobId, String reason, JsonArray frames) {
    if (MessageType.JOB_REQUEST.wire().equals(type) && !contains(frames, MessageType.JOB_RESPONSE)) {
      return prepend(frames, Frames.jobResponse(new JsonArray()));
    }
    if (MessageType.TOKEN_REFRESH_REQUEST.wire().equals(type) && !contains(frames, MessageType.TOKEN_REFRESH_RESPONSE)) {
      return prepend(frames, Frames.tokenRefreshResponse(jobId, "", false, null, reason));
    }
    return frames;
  }

  private static boolean contains(JsonArray frames, MessageType type) {
    if (frames != null) {
      for (Object f : frames) {
        if (f instanceof JsonObject o && type.wire().equals(o.getValue("type"))) {
          return true;
        }
      }
    }
    return false;
  }

  private static JsonArray prepend(JsonArray frames, JsonObject first) {
    JsonArray out = new JsonArray().add(first);
    if (frames != null) {
      out.addAll(frames);
    }
    return out;
  }
}
