package org.crawlerhub.sim;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.parsetools.RecordParser;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import org.crawlerhub.protocol.ProtocolCodec;

/**
 * One simulated GitLab crawler on one connection, driven by its worker's event loop (never
 * blocks, single-threaded). It behaves like the real crawler: optional {@code hello}, periodic
 * {@code heartbeat}, pull with {@code job_request}; per job {@code job_started}, N
 * {@code job_progress}, discovery jobs ({@code areas}) answer {@code jobs_discovered}, sometimes a
 * {@code token_refresh_request}, then {@code job_completed} or {@code job_failed}. When it is done
 * (its job budget, the deadline, or a {@code shutdown} frame) it hands back jobs it still holds
 * ({@code job_failed}, recoverable), sends a {@code job_request} with {@code maxJobs: 0} and closes
 * once that barrier is answered, so every message it sent has been processed by the server.
 *
 * <p>With {@code --crash-share} it sometimes crashes in the middle of a job: the connection drops
 * without a word (no {@code job_failed}, no barrier) and the crawler comes back after
 * {@code --restart-ms} under a new id ({@code <id>.r<n>}), as a restarted process that lost its
 * state would. The jobs it held are the hub's to recover: their leases expire and they are requeued.
 * With {@code --reconnect-ms} a connection the hub closes (a hub node went away) is opened again
 * after that long, to the next node, under the same id; the crawler carries on with the job it
 * was working on, as the real crawler does (the hub keeps its leases for {@code leaseGrace}); after
 * a {@code shutdown} frame it hands its jobs back and leaves as usual, then connects to the next node.
 */
final class SimulatedCrawler {
  private enum State { NEW, CONNECTING, NEED_REQUEST, REQUESTING, WORKING, POLL_WAIT, IDLE,
    /** Between connections: crashed (restarts under a new id) or closed by the hub (reconnects). */
    OFFLINE, STOPPING_AWAIT_CLAIM, STOPPING_WAIT, DONE }

  private record Pending(long sentAt, boolean barrier) {}

  /** Messages sent in one go before yielding the event loop to other connections. */
  private static final int BURST = 64;

  private final SimWorker worker;
  private final SimOptions o;
  private final SimStats stats;
  private final String baseId;
  /** The id of this incarnation: {@code baseId}, then {@code baseId.r1}, ... after each crash. */
  String crawlerId;
  private int incarnation;
  /** Connections after the first (restarts and reconnects): each goes to the next node. */
  private int moves;
  /** This crawler's number in the fleet: picks its node when {@code --socket} lists several. */
  private final int index;
  private final long startNanos = System.nanoTime();
  private final long intervalNanos;

  private State state = State.NEW;
  private NetSocket socket;
  private boolean closedByUs;
  private boolean drainArmed;
  /** A shutdown frame came and --reconnect-ms is set: reconnect once this connection is closed. */
  private boolean rejoin;
  private long heartbeatTimer = -1;
  private long pumpTimer = -1;
  private long pollTimer = -1;
  private long restartTimer = -1;
  private long nextSendAt;

  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  private final ArrayDeque<JsonObject> held = new ArrayDeque<>();
  private final Map<String, Long> tokenRefreshSent = new HashMap<>();

  private JsonObject job;
  private boolean jobStartedSent;
  private int progressSent;
  private boolean jobFails;
  private boolean jobRecoverable;
  private boolean tokenRefreshPending;
  private boolean discoveryPending;
  /** Progress messages after which this job's crawler crashes; -1: it does not. */
  private int crashAfter = -1;
  private int jobsDone;
  private int fakeJobs;
  private long totalProcessed;

  SimulatedCrawler(SimWorker worker, String crawlerId, int index) {
    this.worker = worker;
    this.o = worker.options();
    this.stats = worker.stats();
    this.baseId = crawlerId;
    this.index = index;
    this.crawlerId = crawlerId;
    this.intervalNanos = o.rate() > 0 ? (long) (1e9 / o.rate()) : 0;
  }

  boolean done() {
    return state == State.DONE;
  }

  Future<Void> connect() {
    state = State.CONNECTING;
    SocketAddress address;
    if (o.tcp()) {
      address = SocketAddress.inetSocketAddress(o.port(), o.host());
    } else {
      java.util.List<String> nodes = o.socketPaths();
      address = SocketAddress.domainSocketAddress(nodes.get((index + moves) % nodes.size()));
    }
    return worker.client().connect(address).compose(s -> {
      onConnected(s);
      return Future.<Void>succeededFuture();
    }, e -> {
      stats.error("local:connect_failed");
      if (moves > 0 && o.reconnectMs() > 0 && !worker.stopping()) { // that node is gone too: try the next
        state = State.OFFLINE;
        restartTimer = worker.vertx().setTimer(o.reconnectMs(), t -> reconnect(false));
      } else {
        finish();
      }
      return Future.succeededFuture();
    });
  }

  /** Never connected (the run stopped before its turn). */
  void skip() {
    finish();
  }

  private void onConnected(NetSocket s) {
    socket = s;
    if (state == State.DONE) {
      closedByUs = true;
      s.close();
      return;
    }
    stats.connected();
    RecordParser lines = RecordParser.newDelimited("\n", s).maxRecordSize(64 * 1024 * 1024);
    lines.handler(this::onLine);
    lines.exceptionHandler(e -> {
      stats.error("local:read_error");
      close();
    });
    s.closeHandler(v -> onClosed());
    s.exceptionHandler(e -> stats.error("local:socket_error"));
    if (o.hello()) {
      JsonObject data = new JsonObject().put("crawlerId", crawlerId).put("version", "sim-1")
          .put("capabilities", new JsonArray().add("areas").add("project").add("issue"));
      if (o.token() != null) {
        data.put("token", o.token());
      }
      send("hello", envelope("hello", null, data));
    }
    // A random first delay spreads the heartbeats of crawlers that connected together.
    long firstBeat = 1 + (long) (worker.random().nextDouble() * o.heartbeatMs());
    heartbeatTimer = worker.vertx().setPeriodic(firstBeat, o.heartbeatMs(), t -> heartbeat());
    if (o.idleMode()) {
      state = State.IDLE;
    } else if (job != null) {
      state = State.WORKING; // reconnected in the middle of a job: carry on with it
    } else if (!held.isEmpty()) {
      startJob(held.poll());
    } else {
      state = State.NEED_REQUEST;
    }
    if (worker.stopping()) {
      stop();
    } else {
      advance();
    }
  }

  // ---------------------------------------------------------------- sending

  private static JsonObject envelope(String type, String jobId, JsonObject data) {
    JsonObject m = new JsonObject().put("type", type).put("timestamp", Instant.now().toString());
    if (jobId != null) {
      m.put("jobId", jobId);
    }
    return m.put("data", data);
  }

  private void send(String type, JsonObject msg) {
    Buffer b = ProtocolCodec.encode(msg);
    socket.write(b);
    stats.sent(type, b.length());
  }

  private void heartbeat() {
    if (state == State.DONE || state == State.OFFLINE || socket == null) {
      return;
    }
    Runtime rt = Runtime.getRuntime();
    String status = job == null ? "idle" : "areas".equals(job.getString("entityType")) ? "discovering" : "processing";
    send("heartbeat", envelope("heartbeat", null, new JsonObject()
        .put("activeJobs", (job == null ? 0 : 1) + held.size())
        .put("totalProcessed", totalProcessed)
        .put("systemStatus", status)
        .put("memoryUsage", new JsonObject().put("heapUsed", rt.totalMemory() - rt.freeMemory())
            .put("heapTotal", rt.totalMemory()))
        .put("uptime", (System.nanoTime() - startNanos) / 1_000_000_000.0)));
  }

  /** True when the next paced message may go now; otherwise arranges to be called again. */
  private boolean ready() {
    if (socket.writeQueueFull()) {
      if (!drainArmed) {
        drainArmed = true;
        socket.drainHandler(v -> {
          drainArmed = false;
          advance();
        });
      }
      return false;
    }
    if (intervalNanos > 0) {
      long now = System.nanoTime();
      if (nextSendAt == 0 || now - nextSendAt > 1_000_000_000L) {
        nextSendAt = now; // start, or fell far behind: do not burst to catch up
      }
      if (now < nextSendAt) {
        if (pumpTimer < 0) {
          long delayMs = Math.max(1, (nextSendAt - now) / 1_000_000);
          pumpTimer = worker.vertx().setTimer(delayMs, t -> {
            pumpTimer = -1;
            advance();
          });
        }
        return false;
      }
      nextSendAt += intervalNanos;
    }
    return true;
  }

  /** Sends what is due next, as far as pacing and the write queue allow. */
  private void advance() {
    for (int burst = 0; burst < BURST; burst++) {
      if (worker.stopping() && state.compareTo(State.STOPPING_AWAIT_CLAIM) < 0) {
        stop();
        return;
      }
      switch (state) {
        case NEED_REQUEST -> {
          if (jobsDone >= o.jobsPerCrawler()) {
            stop();
            return;
          }
          if (!ready()) {
            return;
          }
          requestJobs(o.maxJobs(), false);
          state = State.REQUESTING;
          return;
        }
        case WORKING -> {
          if (!ready()) {
            return;
          }
          sendNextStep();
        }
        default -> {
          return;
        }
      }
    }
    worker.context().runOnContext(v -> advance());
  }

  private void requestJobs(int maxJobs, boolean barrier) {
    pending.add(new Pending(System.nanoTime(), barrier));
    send("job_request", envelope("job_request", null, new JsonObject().put("maxJobs", maxJobs)));
  }

  private void startJob(JsonObject next) {
    job = next;
    jobStartedSent = false;
    progressSent = 0;
    jobFails = worker.random().nextDouble() < o.failShare();
    jobRecoverable = worker.random().nextDouble() < o.recoverableShare();
    tokenRefreshPending = worker.random().nextDouble() < o.tokenRefreshShare();
    discoveryPending = "areas".equals(next.getString("entityType"));
    crashAfter = o.crashShare() > 0 && worker.random().nextDouble() < o.crashShare()
        ? worker.random().nextInt(o.progressPerJob() + 1) : -1;
    state = State.WORKING;
  }

  private void sendNextStep() {
    String jobId = job.getString("id");
    String entityType = job.getString("entityType", "project");
    int total = o.progressPerJob();
    if (jobStartedSent && crashAfter >= 0 && progressSent >= crashAfter) {
      crash();
      return;
    }
    if (!jobStartedSent) {
      jobStartedSent = true;
      stats.jobsStarted.increment();
      send("job_started", envelope("job_started", jobId, new JsonObject()
          .put("entityType", entityType).put("entityId", job.getString("entityId", jobId))));
    } else if (tokenRefreshPending && (progressSent > 0 || total == 0)) {
      tokenRefreshPending = false;
      tokenRefreshSent.put(jobId, System.nanoTime());
      send("token_refresh_request", envelope("token_refresh_request", jobId, new JsonObject()
          .put("current_token_expired", true)
          .put("last_successful_request", Instant.now().minusSeconds(5).toString())
          .put("error_details", "401 Unauthorized (simulated)")));
    } else if (progressSent < total) {
      progressSent++;
      long processed = progressSent * 10L;
      totalProcessed += 10;
      boolean discovering = "areas".equals(entityType);
      send("job_progress", envelope("job_progress", jobId, new JsonObject()
          .put("stage", discovering ? "discovering" : "fetching")
          .put("entityType", entityType)
          .put("processed", processed)
          .put("total", total * 10L)
          .put("message", "Fetching " + entityType + " page " + progressSent)
          .put("itemCounts", new JsonObject().put(discovering ? "projects" : "issues", processed)
              .put("notes", processed * 3))
          .put("processingRate", 25.0)
          .put("resumeState", new JsonObject().put("currentPage", progressSent).put("entityType", entityType))));
    } else if (discoveryPending) {
      discoveryPending = false;
      send("jobs_discovered", envelope("jobs_discovered", jobId, discovered(jobId)));
    } else {
      finishJob(jobId);
    }
  }

  private JsonObject discovered(String jobId) {
    JsonArray entries = new JsonArray();
    int base = (jobId.hashCode() & 0x3fffffff) % 10_000_000 * 100;
    int groups = 0;
    for (int k = 0; k < o.discoveredPerJob(); k++) {
      boolean group = k % 5 == 0;
      groups += group ? 1 : 0;
      String path = "sim/" + jobId + "/" + (group ? "group-" : "project-") + k;
      entries.add(new JsonObject()
          .put("job_type", group ? "crawl_group" : "crawl_project")
          .put("entity_id", String.valueOf(base + k))
          .put("namespace_path", path)
          .put("entity_name", (group ? "group-" : "project-") + k)
          .put("priority", 1)
          .put("estimated_size", new JsonObject().put("issues", 10).put("merge_requests", 5)));
    }
    return new JsonObject().put("discovered_jobs", entries).put("discovery_summary", new JsonObject()
        .put("total_users", 0).put("total_groups", groups)
        .put("total_projects", o.discoveredPerJob() - groups).put("hierarchy_depth", 2));
  }

  private void finishJob(String jobId) {
    long processed = progressSent * 10L;
    if (jobFails) {
      stats.jobsFailed.increment();
      send("job_failed", envelope("job_failed", jobId, new JsonObject()
          .put("error", jobRecoverable ? "GitLab API 502 Bad Gateway (simulated)" : "404 Not Found (simulated)")
          .put("isRecoverable", jobRecoverable)
          .put("errorType", jobRecoverable ? "network" : "not_found")
          .put("resumeState", new JsonObject().put("currentPage", progressSent))
          .put("partialCounts", new JsonObject().put("issues", processed))
          .put("retryCount", 0)));
    } else {
      stats.jobsCompleted.increment();
      send("job_completed", envelope("job_completed", jobId, new JsonObject()
          .put("success", true)
          .put("finalCounts", new JsonObject().put("issues", processed).put("notes", processed * 3))
          .put("message", "done")
          .put("outputFiles", new JsonArray().add("out/" + jobId + ".jsonl"))));
    }
    jobsDone++;
    job = null;
    JsonObject next = held.poll();
    if (next != null) {
      startJob(next);
    } else {
      state = State.NEED_REQUEST;
    }
  }

  /** Hands a job back so another crawler can take it (the run is ending). */
  private void release(JsonObject j) {
    stats.jobsReleased.increment();
    send("job_failed", envelope("job_failed", j.getString("id"), new JsonObject()
        .put("error", "simulator stopping").put("isRecoverable", true).put("errorType", "shutdown")));
  }

  // ---------------------------------------------------------------- receiving

  private void onLine(Buffer line) {
    if (line.length() == 0 || state == State.OFFLINE) {
      return;
    }
    JsonObject msg;
    try {
      msg = new JsonObject(line);
    } catch (RuntimeException e) {
      stats.error("local:bad_frame");
      return;
    }
    String type = String.valueOf(msg.getValue("type"));
    stats.received(type);
    JsonObject data = msg.getJsonObject("data", new JsonObject());
    switch (type) {
      case "job_response" -> onJobResponse(data.getJsonArray("jobs", new JsonArray()));
      case "token_refresh_response" -> {
        Long sentAt = tokenRefreshSent.remove(msg.getString("jobId"));
        if (sentAt != null) {
          worker.tokenRefreshLatency.record(System.nanoTime() - sentAt);
        }
      }
      case "error" -> stats.error(String.valueOf(data.getValue("code")));
      case "shutdown" -> {
        // the hub (node) is going away: hand back the jobs and leave; with --reconnect-ms come
        // back (same id) on the next node, as a crawler kept running by its supervisor would
        rejoin = o.reconnectMs() > 0 && !worker.stopping();
        stop();
      }
      case "job_assignment" -> onAssignment(data);
      default -> { } // welcome and types we do not know: ignored, like the real crawler
    }
  }

  private void onJobResponse(JsonArray jobs) {
    Pending p = pending.poll();
    if (p == null) {
      stats.error("local:unexpected_job_response");
      return;
    }
    worker.jobRequestLatency.record(System.nanoTime() - p.sentAt());
    if (p.barrier()) {
      if (state == State.STOPPING_WAIT && pending.isEmpty()) {
        close();
      }
      return;
    }
    if (state == State.STOPPING_AWAIT_CLAIM) {
      jobs.forEach(j -> release((JsonObject) j));
      sendBarrier();
      return;
    }
    if (state != State.REQUESTING) {
      return;
    }
    jobs.forEach(j -> held.add((JsonObject) j));
    if (held.isEmpty() && o.fakeJobs()) {
      fakeJobs++;
      held.add(new JsonObject().put("id", crawlerId + "-job-" + fakeJobs)
          .put("entityType", worker.random().nextDouble() < 0.1 ? "areas" : "project")
          .put("entityId", "sim/" + crawlerId + "/" + fakeJobs));
    }
    if (held.isEmpty()) {
      stats.emptyResponses.increment();
      state = State.POLL_WAIT;
      pollTimer = worker.vertx().setTimer(o.idlePollMs(), t -> {
        pollTimer = -1;
        if (state == State.POLL_WAIT) {
          state = State.NEED_REQUEST;
          advance();
        }
      });
      return;
    }
    startJob(held.poll());
    advance();
  }

  private void onAssignment(JsonObject data) {
    JsonObject j = new JsonObject().put("id", data.getString("job_id"))
        .put("entityType", "discover_namespaces".equals(data.getString("job_type")) ? "areas" : "project")
        .put("entityId", data.getString("entity_id", data.getString("namespace_path")));
    if (state == State.DONE) {
      return;
    }
    if (state.compareTo(State.STOPPING_AWAIT_CLAIM) >= 0) {
      release(j);
      if (state == State.STOPPING_WAIT) {
        requestJobs(0, true); // the hand-back must be covered by a barrier too
      }
      return;
    }
    held.add(j);
    if (state == State.POLL_WAIT || state == State.NEED_REQUEST) {
      cancelTimer(pollTimer);
      pollTimer = -1;
      startJob(held.poll());
      advance();
    }
  }

  // ---------------------------------------------------------------- stopping

  /** Ends this crawler: hand back held jobs, then close once a barrier is answered. */
  void stop() {
    switch (state) {
      case NEW -> finish();
      case CONNECTING, STOPPING_AWAIT_CLAIM, STOPPING_WAIT, DONE -> { }
      case OFFLINE -> {
        if (restartTimer >= 0) { // closed, waiting to restart: nothing to wind down
          cancelTimer(restartTimer);
          restartTimer = -1;
          finish();
        } // else the close is under way and onClosed sees the run stopping
      }
      case IDLE -> close();
      case REQUESTING -> state = State.STOPPING_AWAIT_CLAIM;
      default -> {
        cancelTimer(pollTimer);
        cancelTimer(pumpTimer);
        pollTimer = -1;
        pumpTimer = -1;
        if (job != null) {
          release(job);
          job = null;
        }
        held.forEach(this::release);
        held.clear();
        sendBarrier();
      }
    }
  }

  private void sendBarrier() {
    // Nothing is sent after the barrier, so its answer means the server has processed everything.
    cancelTimer(heartbeatTimer);
    heartbeatTimer = -1;
    state = State.STOPPING_WAIT;
    requestJobs(0, true);
  }

  /** The drain timeout passed: close whatever is still open. */
  void forceClose() {
    if (state == State.DONE) {
      return;
    }
    if (socket == null || state == State.OFFLINE) {
      cancelTimer(restartTimer);
      restartTimer = -1;
      finish();
    } else {
      stats.error("local:drain_timeout");
      close();
    }
  }

  private void close() {
    closedByUs = true;
    socket.close();
  }

  // ---------------------------------------------------------------- crashing

  /** Drops the connection mid-job, as a crawler process that died would; restarts later. */
  private void crash() {
    stats.crashes.increment();
    stats.jobsAbandoned.add(1 + held.size());
    job = null;
    held.clear();
    goOffline();
    close();
  }

  /** Forgets what the lost connection owed us (answers, timers); the job in hand is kept. */
  private void goOffline() {
    pending.clear();
    tokenRefreshSent.clear();
    cancelTimer(heartbeatTimer);
    cancelTimer(pumpTimer);
    cancelTimer(pollTimer);
    heartbeatTimer = pumpTimer = pollTimer = -1;
    state = State.OFFLINE;
  }

  /** Connects again to the next node: as a new process ({@code newId}) or the same one. */
  private void reconnect(boolean newId) {
    restartTimer = -1;
    if (worker.stopping()) {
      finish();
      return;
    }
    if (newId) {
      incarnation++;
      crawlerId = baseId + ".r" + incarnation;
    }
    moves++;
    closedByUs = false;
    drainArmed = false;
    nextSendAt = 0;
    connect();
  }

  private void onClosed() {
    stats.disconnected();
    if (state == State.OFFLINE) { // we crashed on purpose
      if (worker.stopping()) {
        finish();
      } else {
        restartTimer = worker.vertx().setTimer(Math.max(1, o.restartMs()), t -> reconnect(true));
      }
      return;
    }
    if (rejoin && !worker.stopping()) { // left after a shutdown frame: on to the next node
      rejoin = false;
      if (!closedByUs) {
        stats.error("local:closed_by_peer");
      }
      stats.reconnects.increment();
      goOffline();
      restartTimer = worker.vertx().setTimer(o.reconnectMs(), t -> reconnect(false));
      return;
    }
    if (!closedByUs) {
      stats.error("local:closed_by_peer");
      if (o.reconnectMs() > 0 && !worker.stopping() && state.compareTo(State.OFFLINE) < 0
          && state != State.CONNECTING) {
        stats.reconnects.increment();
        goOffline();
        restartTimer = worker.vertx().setTimer(o.reconnectMs(), t -> reconnect(false));
        return;
      }
    }
    finish();
  }

  private void finish() {
    cancelTimer(heartbeatTimer);
    cancelTimer(pumpTimer);
    cancelTimer(pollTimer);
    cancelTimer(restartTimer);
    heartbeatTimer = pumpTimer = pollTimer = restartTimer = -1;
    if (state != State.DONE) {
      state = State.DONE;
      worker.crawlerDone();
    }
  }

  private void cancelTimer(long id) {
    if (id >= 0) {
      worker.vertx().cancelTimer(id);
    }
  }
}
