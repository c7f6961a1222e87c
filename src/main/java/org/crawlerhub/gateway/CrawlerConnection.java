package org.crawlerhub.gateway;

import io.vertx.core.Completable;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Map;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.bus.BusReplies;
import org.crawlerhub.bus.DirectLane;
import org.crawlerhub.bus.LocalJsonCodec;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.Frames;
import org.crawlerhub.protocol.MessageType;
import org.crawlerhub.protocol.MessageValidator;
import org.crawlerhub.protocol.ProtocolCodec;
import org.crawlerhub.protocol.ProtocolException;
import org.crawlerhub.protocol.RawFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One crawler socket: NDJSON framing, {@code hello}/authentication, forwarding to the router with
 * replies written strictly in receive order, back-pressure, the crawler's outbound address and its
 * statistics. Everything except the statistics getters runs on the owning gateway's event loop;
 * the statistics are single-writer volatiles so the status verticle can read them from elsewhere.
 */
final class CrawlerConnection {
  private static final Logger LOG = LoggerFactory.getLogger(CrawlerConnection.class);

  enum State { OPEN, CLOSING, CLOSED }

  /** Upper bound of messages per batch request (a socket read rarely holds more). */
  private static final int MAX_BATCH = 1024;

  private final GatewayVerticle gateway;
  private final ContextInternal context;
  private final HubConfig cfg;
  private final EventBus bus;
  private final NetSocket socket;
  private final Transport transport;
  private final String connectionId;
  private final String partitionAddress;
  private final String batchAddress;
  private final int maxBatch;
  private final long connectedAt;
  private final int maxInFlight;
  private final int resumeAtInFlight;

  // statistics: written on the event loop only, read by the status verticle
  private volatile String crawlerId;
  /** When this connection took its crawlerId (hello); across nodes the later binding wins. */
  private volatile java.time.Instant boundAt;
  private volatile boolean authenticated;
  private volatile String version;
  private volatile JsonArray capabilities;
  private volatile long lastHeartbeat;
  private volatile String systemStatus;
  private volatile Number activeJobs;
  private volatile long messagesIn;
  private volatile long messagesOut;
  private volatile long bytesIn;
  private volatile long bytesOut;
  private volatile long errors;

  // liveness, checked by the gateway's scanner (no timer per connection)
  private long bytesInAtLastScan;
  private long lastActivity;

  private volatile State state = State.OPEN;
  private String closeReason;
  private DeliveryOptions inboundOptions;
  private MessageConsumer<Object> outbound;
  private final ArrayDeque<Pending> pending = new ArrayDeque<>();
  /** Messages waiting for their reply: those in {@link #pending} plus the batch being collected. */
  private int inFlight;
  /** Lines of the current socket read going to the router, sent as one request when the read ends. */
  private Batch batch;
  /**
   * Requests sent to the router over the event bus and not answered yet. While there are any, the
   * next batch goes the same way even if the router's {@link DirectLane} is there: a direct call
   * would overtake them.
   */
  private int busRequests;
  /** During a read: the router's batch address has a consumer, so it may be sent raw lines to decode. */
  private boolean routerDecodes;
  private boolean socketPaused;
  private boolean pausedForInFlight;
  private boolean pausedForWrites;
  private boolean handlingInput;
  private boolean resumeScheduled;

  CrawlerConnection(GatewayVerticle gateway, NetSocket socket, Transport transport, String connectionId) {
    this.gateway = gateway;
    this.context = (ContextInternal) gateway.context();
    this.cfg = gateway.hubConfig();
    this.bus = gateway.vertx().eventBus();
    this.socket = socket;
    this.transport = transport;
    this.connectionId = connectionId;
    this.crawlerId = connectionId;
    int routerPartition = gateway.routerPartitionFor(connectionId);
    this.partitionAddress = Addresses.inboundPartition(routerPartition);
    this.batchAddress = Addresses.inboundBatchPartition(routerPartition);
    this.connectedAt = System.currentTimeMillis();
    this.lastActivity = connectedAt;
    this.maxInFlight = Math.max(1, cfg.maxInFlightPerConnection());
    this.resumeAtInFlight = maxInFlight / 2;
    this.maxBatch = Math.min(maxInFlight, MAX_BATCH);
    this.inboundOptions = inboundOptions();
  }

  /** Wires the socket and, on the trusted Unix socket, makes the crawler reachable right away. */
  void start() {
    // Lines are slices of the read buffer (no copy per line); the splitter bounds a partial line
    // buffered across reads, onLine checks complete lines.
    LineSplitter splitter = new LineSplitter(cfg.maxMessageSize(), new LineSplitter.Sink() {
      @Override
      public void line(Buffer line) {
        onLine(line);
      }

      @Override
      public void overflow(Buffer lineStart) {
        tooLarge(-1, ProtocolCodec.peekType(lineStart));
      }
    });
    socket.handler(buf -> {
      bytesIn += buf.length();
      handlingInput = true;
      routerDecodes = authenticated && gateway.takesBatches(batchAddress); // once per read, not per line
      try {
        splitter.handle(buf);
      } finally {
        try {
          flushBatch(); // still "handling input": a direct answer must not resume the socket from in here
        } finally {
          handlingInput = false;
        }
      }
    });
    socket.closeHandler(v -> onClosed());
    socket.exceptionHandler(this::onSocketError);
    socket.drainHandler(v -> {
      pausedForWrites = false;
      maybeResume();
    });
    if (transport == Transport.UNIX) {
      authenticated = true;
      gateway.meters().connectionOpened(transport, "accepted");
      gateway.registry().bindCrawler(connectionId, this);
      registerOutbound(connectionId);
    }
    gateway.publishEvent(event("connected"));
  }

  // ---------------------------------------------------------------- inbound

  private void onLine(Buffer line) {
    if (state != State.OPEN) {
      return;
    }
    int len = line.length();
    if (len > cfg.maxMessageSize()) {
      tooLarge(len, ProtocolCodec.peekType(line));
      return;
    }
    if (ProtocolCodec.isBlank(line)) {
      return;
    }
    messagesIn++;
    if (routerDecodes) {
      // The router decodes the lines the gateway has nothing to do with itself, right before it
      // routes them: a tree decoded here would sit through the rest of this I/O pass (megabytes of
      // other connections' reads) and be read again from memory. hello and heartbeat are the
      // gateway's; a line whose type cannot be seen at a glance is decoded here as before.
      MessageType peeked = ProtocolCodec.peekType(line);
      if (peeked != null && peeked != MessageType.HELLO && peeked != MessageType.HEARTBEAT) {
        forward(line, peeked, null);
        return;
      }
    }
    JsonObject msg;
    try {
      msg = ProtocolCodec.decode(line, cfg.maxMessageSize());
    } catch (ProtocolException e) {
      if (authenticated) {
        reject(e, null, null);
      } else {
        unauthenticated("first message must be hello (" + e.getMessage() + ")");
      }
      return;
    } catch (RuntimeException e) {
      LOG.warn("decoding a line from {} failed", connectionId, e);
      reject(new ProtocolException(ErrorCode.INTERNAL, "internal error while decoding"), null, null);
      return;
    }
    MessageType type = MessageType.fromWire((String) msg.getValue("type"));
    if (type == MessageType.HELLO) {
      onHello(msg);
      return;
    }
    if (!authenticated) {
      unauthenticated("first message must be hello, got " + type.wire());
      return;
    }
    if (type == MessageType.HEARTBEAT) {
      noteHeartbeat(msg);
    }
    forward(msg, type, msg.getValue("jobId") instanceof String s ? s : null);
  }

  /** Queues a decoded envelope, or a raw line (Buffer) for the router to decode, for the next batch. */
  private void forward(Object msg, MessageType type, String jobId) {
    Batch b = batch;
    if (b == null) {
      b = batch = new Batch();
    }
    b.add(msg, type, jobId);
    inFlight++;
    if (b.size >= maxBatch || !handlingInput) {
      flushBatch();
    }
    // Only the socket is paused, not the splitter: lines already read in this chunk still go out,
    // so the limit is soft by at most one read, and the splitter's size check keeps measuring a
    // single partial line.
    if (!pausedForInFlight && inFlight >= maxInFlight) {
      pausedForInFlight = true;
      pauseSocket();
    }
  }

  /**
   * Sends the lines collected from the current read: one request for all of them to the router's
   * batch address when it takes batches, else one request per line. Called at the end of every
   * read and before anything the gateway answers itself, so the reply FIFO keeps receive order.
   */
  private void flushBatch() {
    Batch b = batch;
    if (b == null) {
      return;
    }
    batch = null;
    DirectLane lane = busRequests == 0 ? gateway.directLane(batchAddress) : null;
    if (lane != null && lane.inThread()) {
      // the router partition runs on this event loop: routed now, answered within this read when
      // nothing asynchronous is involved (ARCHITECTURE, "Message flow" 2)
      Pending p = new Pending(this, b);
      pending.addLast(p);
      lane.route(new JsonObject().put("batch", b.envelopes), inboundOptions.getHeaders(), p::directReply);
      if (!p.done) {
        p.timeoutAfter(gateway.inboundTimeout());
      }
      return;
    }
    // Raw lines only go to the batch address (its consumer decodes them); they are only collected
    // while it has one (a router stopping in between answers them as failed, like any request).
    if (!b.hasRaw && (b.size == 1 || !gateway.takesBatches(batchAddress))) {
      for (int i = 0; i < b.size; i++) {
        Pending p = new Pending(this, b.types[i], b.jobIds[i]);
        pending.addLast(p);
        busRequests++;
        bus.request(partitionAddress, b.envelopes.getList().get(i), inboundOptions).onComplete(p);
      }
      return;
    }
    Pending p = new Pending(this, b);
    pending.addLast(p);
    busRequests++;
    bus.request(batchAddress, new JsonObject().put("batch", b.envelopes), inboundOptions).onComplete(p);
  }

  /** Envelopes of one read, with what the gateway needs to answer each when the router cannot. */
  private static final class Batch {
    final JsonArray envelopes = new JsonArray(new java.util.ArrayList<>());
    MessageType[] types = new MessageType[8];
    String[] jobIds = new String[8];
    int size;
    boolean hasRaw;

    /** {@code env}: a decoded envelope, or a raw line (Buffer) the router decodes. */
    void add(Object env, MessageType type, String jobId) {
      if (size == types.length) {
        types = java.util.Arrays.copyOf(types, size * 2);
        jobIds = java.util.Arrays.copyOf(jobIds, size * 2);
      }
      envelopes.add(env);
      hasRaw |= env instanceof Buffer;
      types[size] = type;
      jobIds[size] = jobId;
      size++;
    }
  }

  /** Reads the crawler's status from a heartbeat as it passes by (the router validates it). */
  private void noteHeartbeat(JsonObject msg) {
    JsonObject data = RawFields.object(msg, "data");
    if (data != null) {
      lastHeartbeat = System.currentTimeMillis();
      // unchanged values are not stored again: with 10,000 idle crawlers every reference stored
      // into this long-lived object is a card for the GC's refinement threads to scan
      if (RawFields.get(data, "systemStatus") instanceof String s && !s.equals(systemStatus)) {
        systemStatus = s;
      }
      if (RawFields.get(data, "activeJobs") instanceof Number n && (activeJobs == null || !n.equals(activeJobs))) {
        activeJobs = n;
      }
    }
  }

  private void onHello(JsonObject msg) {
    flushBatch();
    String problem = helloProblem(msg);
    if (problem != null) {
      if (authenticated) {
        reject(new ProtocolException(ErrorCode.VALIDATION_FAILED, problem, MessageType.HELLO.wire(), null),
            MessageType.HELLO, null);
      } else {
        unauthenticated("invalid hello: " + problem);
      }
      return;
    }
    JsonObject data = msg.getJsonObject("data");
    if (!authenticated && !tokenAccepted(data.getValue("token"))) {
      unauthenticated("hello token missing or not accepted");
      return;
    }
    if (!authenticated) {
      gateway.meters().connectionOpened(transport, "accepted");
    }
    authenticated = true;
    version = data.getValue("version") instanceof String v ? v : null;
    capabilities = data.getValue("capabilities") instanceof JsonArray a ? a : null;
    gateway.meters().messageIn(MessageType.HELLO, GatewayMeters.OUTCOME_ACCEPTED);

    String newId = data.getString("crawlerId");
    Pending welcome = new Pending(this, MessageType.HELLO, null);
    pending.addLast(welcome);
    inFlight++;
    Future<Void> ready;
    if (newId.equals(crawlerId) && outbound != null) {
      ready = Future.succeededFuture();
    } else {
      String oldId = crawlerId;
      crawlerId = newId;
      inboundOptions = inboundOptions();
      gateway.registry().unbindCrawler(oldId, this);
      unregisterOutbound();
      boundAt = java.time.Instant.now();
      CrawlerConnection previous = gateway.registry().bindCrawler(newId, this);
      Future<Void> previousGone = previous == null ? Future.succeededFuture() : previous.supersededBy(this);
      ready = previousGone.compose(v -> state == State.CLOSED ? Future.succeededFuture() : registerOutbound(newId));
    }
    ready.onComplete(ar -> {
      if (state == State.CLOSED) {
        return;
      }
      if (ar.succeeded()) {
        welcome.local(Frames.welcome(crawlerId, gateway.nodeId(), cfg.heartbeatInterval(),
            cfg.heartbeatTimeout(), cfg.maxMessageSize(), cfg.maxJobsPerRequest()), false);
        JsonObject ev = event("authenticated");
        if (boundAt != null) {
          ev.put("at", boundAt.toString()); // other nodes compare it with their own binding (newer wins)
        }
        if (version != null) {
          ev.put("version", version);
        }
        if (capabilities != null) {
          ev.put("capabilities", capabilities.copy());
        }
        gateway.publishEvent(ev);
        LOG.debug("crawler {} said hello on {} ({})", crawlerId, connectionId, transport.wire());
      } else {
        LOG.warn("could not register the outbound address of crawler {}", crawlerId, ar.cause());
        errors++;
        welcome.local(Frames.error(ErrorCode.INTERNAL, "could not register the crawler's address",
            MessageType.HELLO.wire(), null), false);
      }
      drain();
    });
  }

  private static String helloProblem(JsonObject msg) {
    try {
      MessageValidator.validateInbound(msg);
    } catch (ProtocolException e) {
      return e.getMessage();
    }
    JsonObject data = msg.getJsonObject("data");
    Object id = data.getValue("crawlerId");
    if (!(id instanceof String s) || s.isBlank()) {
      return id == null ? "data.crawlerId: required string" : "data.crawlerId: must be a non-empty string";
    }
    if (s.length() > 256) {
      return "data.crawlerId: at most 256 characters";
    }
    if (data.containsKey("version") && !(data.getValue("version") instanceof String)) {
      return "data.version: must be a string";
    }
    if (data.containsKey("capabilities") && !(data.getValue("capabilities") instanceof JsonArray)) {
      return "data.capabilities: must be an array";
    }
    return null;
  }

  /** Constant-time comparison against every configured token (no early exit on a match). */
  private boolean tokenAccepted(Object token) {
    if (!(token instanceof String s)) {
      return false;
    }
    byte[] given = s.getBytes(StandardCharsets.UTF_8);
    boolean ok = false;
    for (String t : cfg.crawlerTokens()) {
      ok |= MessageDigest.isEqual(given, t.getBytes(StandardCharsets.UTF_8));
    }
    return ok;
  }

  // ---------------------------------------------------------------- rejections

  private void reject(ProtocolException e, MessageType type, String jobId) {
    flushBatch();
    errors++;
    JsonObject frame = Frames.errorFrom(e, type == null ? null : type.wire(), jobId);
    gateway.meters().messageIn(type == null ? MessageType.fromWire(e.refType()) : type, e.code().name());
    report(e.code(), e.getMessage(), frame.getJsonObject("data").getString("refType"), frame.getString("jobId"));
    if (e.code().closesConnection()) {
      failAndClose(frame, e.code().name().toLowerCase(), "error", e.code());
    } else {
      enqueueLocal(frame, false);
    }
  }

  /**
   * A line over maxMessageSize ({@code len} -1: still growing). Its type, when the line starts with
   * it, goes into the error frame's refType and the error record; for a discovery the message says
   * what to change, since a large GitLab instance's jobs_discovered (10,000 entries: ~1.3 MB) does
   * not fit the 1 MiB default.
   */
  private void tooLarge(int len, MessageType type) {
    if (state != State.OPEN) {
      return;
    }
    String message = (len < 0
        ? "message exceeds maxMessageSize " + cfg.maxMessageSize() + " bytes"
        : "message of " + len + " bytes exceeds maxMessageSize " + cfg.maxMessageSize())
        + (type == MessageType.JOBS_DISCOVERED || type == MessageType.DISCOVERY
            ? "; a discovery this large needs a larger maxMessageSize on the hub (SOCKET_MAX_MESSAGE_SIZE)" : "");
    messagesIn++;
    reject(new ProtocolException(ErrorCode.MESSAGE_TOO_LARGE, message), type, null);
  }

  private void unauthenticated(String message) {
    flushBatch();
    errors++;
    gateway.meters().messageIn(null, ErrorCode.UNAUTHENTICATED.name());
    gateway.meters().connectionOpened(transport, "unauthenticated");
    report(ErrorCode.UNAUTHENTICATED, message, null, null);
    failAndClose(Frames.error(ErrorCode.UNAUTHENTICATED, message, null, null), "unauthenticated", "rejected",
        ErrorCode.UNAUTHENTICATED);
    LOG.info("rejected unauthenticated connection {} ({})", connectionId, message);
  }

  /** Stops reading, writes {@code frame} after every earlier reply, then closes. */
  private void failAndClose(JsonObject frame, String reason, String eventName, ErrorCode code) {
    if (state != State.OPEN) {
      return;
    }
    state = State.CLOSING;
    closeReason = reason;
    pauseSocket();
    gateway.publishEvent(event(eventName).put("code", code.name()).put("reason", reason));
    enqueueLocal(frame, true);
  }

  /** Called by the scanner: no hello on TCP within authTimeout. */
  void authTimedOut() {
    if (state == State.OPEN && !authenticated) {
      unauthenticated("no hello within " + cfg.authTimeout() + " ms");
    }
  }

  /** Called by the scanner: no traffic for heartbeatTimeout. */
  void heartbeatTimedOut() {
    if (state != State.OPEN) {
      return;
    }
    state = State.CLOSING;
    closeReason = "heartbeat_timeout";
    LOG.info("crawler {} on {} timed out (no traffic for {} ms)", crawlerId, connectionId, cfg.heartbeatTimeout());
    gateway.publishEvent(event("heartbeat_timeout"));
    unregisterOutbound();
    socket.close();
  }

  /**
   * Closes this (older) connection because {@code newer} took over its crawlerId. Runs on this
   * connection's event loop; the returned future completes on {@code newer}'s, once this
   * connection's outbound consumer is gone (so the address never has two consumers on a node).
   */
  Future<Void> supersededBy(CrawlerConnection newer) {
    Promise<Void> done = Promise.promise();
    gateway.context().runOnContext(v -> {
      Future<Void> gone = closeWithError(ErrorCode.SUPERSEDED,
          "crawler " + crawlerId + " connected again (" + newer.connectionId + ")", "superseded");
      gone.onComplete(ar -> newer.gateway.context().runOnContext(x -> done.complete()));
    });
    return done.future();
  }

  /**
   * True when a binding of this crawlerId made on another node at {@code remoteAt} (by connection
   * {@code remoteConnectionId}) is newer than this connection's own: cluster events can arrive
   * after a local hello that was in fact later, and then the local connection must stay.
   */
  boolean supersededBy(java.time.Instant remoteAt, String remoteConnectionId) {
    java.time.Instant mine = boundAt;
    if (mine == null || remoteAt == null) {
      return true;
    }
    int c = remoteAt.compareTo(mine);
    return c > 0 || (c == 0 && remoteConnectionId.compareTo(connectionId) > 0);
  }

  /** Cross-node takeover: another node accepted a hello for the crawlerId this connection holds. */
  void supersededRemotely(String otherNode) {
    closeWithError(ErrorCode.SUPERSEDED, "crawler " + crawlerId + " connected again on node " + otherNode,
        "superseded");
  }

  /** Writes an error immediately (not behind pending replies) and closes. */
  private Future<Void> closeWithError(ErrorCode code, String message, String reason) {
    if (state == State.CLOSED) {
      return Future.succeededFuture();
    }
    errors++;
    state = State.CLOSING;
    closeReason = reason;
    gateway.registry().unbindCrawler(crawlerId, this);
    Future<Void> gone = unregisterOutbound();
    write(Frames.error(code, message, null, null));
    socket.close();
    return gone;
  }

  // ---------------------------------------------------------------- ordered replies

  private void enqueueLocal(JsonObject frame, boolean closeAfter) {
    flushBatch();
    if (pending.isEmpty()) {
      write(frame);
      if (closeAfter) {
        socket.close();
      }
      return;
    }
    Pending p = new Pending(this, null, null);
    p.local(frame, closeAfter);
    pending.addLast(p);
    inFlight++;
  }

  /** Writes every reply whose turn has come; replies wait for all earlier ones. */
  void drain() {
    if (state == State.CLOSED) {
      clearPending();
      return;
    }
    Pending p;
    while ((p = pending.peekFirst()) != null && p.done) {
      pending.pollFirst();
      inFlight -= p.count();
      if (p.deliver()) {
        clearPending();
        socket.close();
        return;
      }
    }
    maybeResume();
  }

  private void clearPending() {
    pending.clear();
    batch = null;
    inFlight = 0;
  }

  /** Writes each message's frames in order; true when the connection must close afterwards. */
  private boolean deliverBatch(Batch b, Object body, Throwable failure) {
    Object replies = body instanceof JsonObject o ? o.getValue("replies") : null;
    JsonArray arr = replies instanceof JsonArray a ? a : null;
    for (int i = 0; i < b.size; i++) {
      if (failure != null) {
        deliverFailure(b.types[i], b.jobIds[i], failure);
      } else if (deliverReply(b.types[i], arr != null && i < arr.size() ? arr.getList().get(i) : null)) { // raw: no wrapping
        return true;
      }
    }
    return false;
  }

  /** Writes the router's frames; true when one of them is an error that closes the connection. */
  private boolean deliverReply(MessageType type, Object body) {
    if (body == BusReplies.NO_FRAMES) {
      gateway.meters().messageIn(type, GatewayMeters.OUTCOME_ACCEPTED); // nothing to write, nothing to read
      return false;
    }
    JsonObject reply = RawFields.object(body);
    Object frames = reply != null ? reply.getValue("frames") : null;
    String outcome = GatewayMeters.OUTCOME_ACCEPTED;
    boolean close = false;
    if (frames instanceof JsonArray arr) {
      for (int i = 0, n = arr.size(); i < n; i++) {
        Object f = arr.getValue(i);
        JsonObject frame = f instanceof JsonObject jo ? jo : f instanceof Map<?, ?> m ? new JsonObject(cast(m)) : null;
        if (frame == null) {
          continue;
        }
        if ("error".equals(frame.getValue("type")) && frame.getValue("data") instanceof JsonObject d) {
          ErrorCode code = ErrorCode.parse(d.getString("code"));
          if (outcome == GatewayMeters.OUTCOME_ACCEPTED) {
            outcome = code.name();
          }
          errors++;
          close |= code.closesConnection();
        }
        write(frame);
      }
    }
    gateway.meters().messageIn(type, outcome);
    if (close) {
      closeReason = outcome.toLowerCase(java.util.Locale.ROOT);
      state = State.CLOSING;
    }
    return close;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> cast(Map<?, ?> m) {
    return (Map<String, Object>) m;
  }

  private void deliverFailure(MessageType type, String jobId, Throwable cause) {
    errors++;
    JsonObject error = Frames.errorFrom(cause, type.wire(), jobId);
    if (type == MessageType.JOB_REQUEST) {
      // a crawler always gets exactly one job_response per job_request
      write(Frames.jobResponse(new JsonArray()));
    }
    write(error);
    JsonObject d = error.getJsonObject("data");
    gateway.meters().messageIn(type, d.getString("code"));
    report(ErrorCode.parse(d.getString("code")), d.getString("message"), type.wire(), jobId);
    if (!(cause instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE)) {
      LOG.warn("router did not answer {} from crawler {}: {}", type.wire(), crawlerId, cause.getMessage());
    }
  }

  private void write(JsonObject frame) {
    if (state == State.CLOSED) {
      return;
    }
    writeBuffer(ProtocolCodec.encode(frame), MessageType.fromWire(
        frame.getValue("type") instanceof String s ? s : null));
  }

  private void writeBuffer(Buffer b, MessageType type) {
    messagesOut++;
    bytesOut += b.length();
    gateway.meters().messageOut(type);
    socket.write(b);
    if (!pausedForWrites && socket.writeQueueFull()) {
      pausedForWrites = true;
      pauseSocket();
    }
  }

  private void pauseSocket() {
    if (!socketPaused) {
      socketPaused = true;
      socket.pause();
    }
  }

  private void maybeResume() {
    if (pausedForInFlight && inFlight <= resumeAtInFlight) {
      pausedForInFlight = false;
    }
    if (socketPaused && !pausedForInFlight && !pausedForWrites && state == State.OPEN) {
      if (handlingInput) {
        // never resume from inside the splitter: the socket could hand us the next chunk re-entrantly
        if (!resumeScheduled) {
          resumeScheduled = true;
          gateway.context().runOnContext(v -> {
            resumeScheduled = false;
            maybeResume();
          });
        }
        return;
      }
      socketPaused = false;
      socket.resume();
    }
  }

  /** One inbound message waiting for its reply; completed by the bus, written in FIFO order. */
  private static final class Pending implements Completable<Message<Object>> {
    private final CrawlerConnection conn;
    private final MessageType type;
    private final String jobId;
    /** Non-null for a batch request: the reply is {"replies":[...]}, one per message. */
    private final Batch batch;
    private Object result;
    private Throwable failure;
    private JsonObject localFrame;
    private boolean closeAfter;
    private long timer = -1;
    boolean done;

    Pending(CrawlerConnection conn, MessageType type, String jobId) {
      this.conn = conn;
      this.type = type;
      this.jobId = jobId;
      this.batch = null;
    }

    Pending(CrawlerConnection conn, Batch batch) {
      this.conn = conn;
      this.type = null;
      this.jobId = null;
      this.batch = batch;
    }

    /** How many crawler messages this entry answers. */
    int count() {
      return batch == null ? 1 : batch.size;
    }

    void local(JsonObject frame, boolean closeAfter) {
      this.localFrame = frame;
      this.closeAfter = closeAfter;
      this.done = true;
    }

    /** The event bus's answer to this entry's request. */
    @Override
    public void complete(Message<Object> reply, Throwable failure) {
      conn.busRequests--;
      settle(failure == null ? reply.body() : null, failure);
    }

    /**
     * The router's answer through its {@link DirectLane}: called on the router's context on this
     * connection's thread (within the read when synchronous), handled on the gateway's context.
     */
    void directReply(Object body, Throwable failure) {
      conn.context.emit(null, v -> settle(body, failure));
    }

    /** Fails the entry if the router has not answered within {@code ms} (as a bus request would time out). */
    void timeoutAfter(long ms) {
      timer = conn.gateway.vertx().setTimer(ms, id -> {
        timer = -1;
        settle(null, new ReplyException(ReplyFailure.TIMEOUT,
            "Timed out after waiting " + ms + "(ms) for a reply from the router"));
      });
    }

    private void settle(Object body, Throwable failure) {
      if (done) {
        return; // answered after its timeout
      }
      if (timer >= 0) {
        conn.gateway.vertx().cancelTimer(timer);
        timer = -1;
      }
      this.result = body;
      this.failure = failure;
      done = true;
      conn.drain();
    }

    /** Writes this entry's frames; true when the connection must close afterwards. */
    boolean deliver() {
      if (localFrame != null) {
        conn.write(localFrame);
        return closeAfter;
      }
      if (batch != null) {
        return conn.deliverBatch(batch, result, failure);
      }
      if (failure != null) {
        conn.deliverFailure(type, jobId, failure);
        return false;
      }
      return conn.deliverReply(type, result);
    }
  }

  // ---------------------------------------------------------------- outbound

  private Future<Void> registerOutbound(String id) {
    MessageConsumer<Object> c = bus.consumer(Addresses.outbound(id), this::onOutbound);
    outbound = c;
    return c.completion();
  }

  private Future<Void> unregisterOutbound() {
    MessageConsumer<Object> c = outbound;
    outbound = null;
    return c == null ? Future.succeededFuture() : c.unregister();
  }

  private void onOutbound(Message<Object> m) {
    if (state != State.OPEN) {
      m.fail(404, "NOT_CONNECTED: crawler " + crawlerId + " is not connected");
      return;
    }
    if (!(m.body() instanceof JsonObject msg)) {
      m.fail(400, "VALIDATION_FAILED: body must be a JSON object");
      return;
    }
    String problem = outboundProblem(msg);
    if (problem != null) {
      m.fail(400, "VALIDATION_FAILED: " + problem);
      return;
    }
    if (!MessageType.JOB_ASSIGNMENT.wire().equals(msg.getString("type"))) {
      write(msg);
      m.reply(GatewayVerticle.DELIVERED);
      return;
    }
    String jobId = msg.getJsonObject("data").getString("job_id");
    String assignedTo = crawlerId;
    bus.request(Addresses.JOBS_ASSIGN, new JsonObject().put("jobId", jobId).put("crawlerId", assignedTo))
        .onComplete(ar -> {
          if (ar.failed()) {
            Throwable t = ar.cause();
            int code = t instanceof ReplyException re && re.failureType() == ReplyFailure.RECIPIENT_FAILURE
                && re.failureCode() >= 400 && re.failureCode() < 500 ? re.failureCode() : 409;
            m.fail(code, code == 409 && !String.valueOf(t.getMessage()).contains(":")
                ? "CONFLICT: job " + jobId + " could not be assigned: " + t.getMessage() : t.getMessage());
          } else if (state != State.OPEN) {
            m.fail(404, "NOT_CONNECTED: crawler " + assignedTo + " disconnected");
          } else {
            write(msg);
            m.reply(GatewayVerticle.DELIVERED);
          }
        });
  }

  /** Fills {@code timestamp} when absent and validates; returns what is wrong, or null. */
  static String outboundProblem(JsonObject msg) {
    if (!(msg.getValue("timestamp") instanceof String)) {
      msg.put("timestamp", Frames.now());
    }
    try {
      MessageValidator.validateOutbound(msg);
    } catch (ProtocolException e) {
      return e.getMessage();
    }
    if (MessageType.JOB_ASSIGNMENT.wire().equals(msg.getValue("type"))) {
      Object jobId = msg.getJsonObject("data").getValue("job_id");
      if (!(jobId instanceof String s) || s.isBlank()) {
        return "data.job_id: required string";
      }
    }
    return null;
  }

  /** Writes an already validated and encoded frame (broadcast, shutdown) if the crawler is reachable. */
  boolean writeIfReachable(Buffer encoded, MessageType type) {
    if (state != State.OPEN || !authenticated) {
      return false;
    }
    writeBuffer(encoded.copy(), type);
    return true;
  }

  // ---------------------------------------------------------------- lifecycle

  private void onSocketError(Throwable t) {
    errors++;
    LOG.debug("socket error on {} (crawler {}): {}", connectionId, crawlerId, t.toString());
    gateway.publishEvent(event("error").put("reason", String.valueOf(t.getMessage())));
  }

  /** Closes from the server side (verticle stop) without a frame. */
  void closeQuietly(String reason) {
    if (state == State.CLOSED) {
      return;
    }
    if (closeReason == null) {
      closeReason = reason;
    }
    state = State.CLOSING;
    socket.close();
  }

  private void onClosed() {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    clearPending();
    gateway.registry().remove(this);
    gateway.connectionClosed(this);
    unregisterOutbound();
    gateway.publishEvent(event("disconnected").put("reason", closeReason == null ? "peer_closed" : closeReason));
    LOG.debug("connection {} (crawler {}) closed: {}", connectionId, crawlerId, closeReason);
  }

  /**
   * Liveness bookkeeping for the scanner; returns true when the connection is idle past timeout.
   * A connection the hub still owes an answer (a welcome waiting for the outbound address's
   * cluster-wide registration, a job_response waiting for the jobs service) is not idle: the
   * crawler is waiting for us, and the silence counts from the last answer.
   */
  boolean idleSince(long now, long timeout) {
    long seen = bytesIn;
    if (seen != bytesInAtLastScan || !pending.isEmpty()) {
      bytesInAtLastScan = seen;
      lastActivity = now;
      return false;
    }
    return now - lastActivity >= timeout;
  }

  private void report(ErrorCode code, String message, String refType, String jobId) {
    JsonObject r = new JsonObject()
        .put("code", code.name())
        .put("category", code.category().wire())
        .put("severity", code.severity().wire())
        .put("message", message)
        .put("source", "gateway")
        .put("crawlerId", crawlerId)
        .put("connectionId", connectionId)
        .put("nodeId", gateway.nodeId())
        .put("at", Frames.now());
    if (refType != null) {
      r.put("refType", refType);
    }
    if (jobId != null) {
      r.put("jobId", jobId);
    }
    bus.send(Addresses.ERRORS_REPORT, r);
  }

  JsonObject event(String name) {
    return new JsonObject()
        .put("event", name)
        .put("connectionId", connectionId)
        .put("crawlerId", crawlerId)
        .put("nodeId", gateway.nodeId())
        .put("transport", transport.wire())
        .put("at", Frames.now());
  }

  private DeliveryOptions inboundOptions() {
    return new DeliveryOptions()
        .setLocalOnly(true)
        .setSendTimeout(gateway.inboundTimeout())
        .setCodecName(LocalJsonCodec.NAME)
        .addHeader(Addresses.Headers.CONNECTION_ID, connectionId)
        .addHeader(Addresses.Headers.CRAWLER_ID, crawlerId)
        .addHeader(Addresses.Headers.NODE_ID, gateway.nodeId())
        .addHeader(Addresses.Headers.TRANSPORT, transport.wire());
  }

  // ---------------------------------------------------------------- read-only view (any thread)

  String connectionId() {
    return connectionId;
  }

  String crawlerId() {
    return crawlerId;
  }

  Transport transport() {
    return transport;
  }

  GatewayVerticle gateway() {
    return gateway;
  }

  long connectedAt() {
    return connectedAt;
  }

  boolean authenticated() {
    return authenticated;
  }

  boolean isOpen() {
    return state == State.OPEN;
  }

  /** The ConnectionStats entry of this crawler (SPEC §4). */
  JsonObject stats() {
    JsonObject o = new JsonObject()
        .put("crawlerId", crawlerId)
        .put("connectionId", connectionId)
        .put("transport", transport.wire())
        .put("connectedAt", java.time.Instant.ofEpochMilli(connectedAt).toString())
        .put("lastHeartbeat", lastHeartbeat == 0 ? null : java.time.Instant.ofEpochMilli(lastHeartbeat).toString())
        .put("systemStatus", systemStatus)
        .put("activeJobs", activeJobs == null ? 0 : activeJobs)
        .put("messagesIn", messagesIn)
        .put("messagesOut", messagesOut)
        .put("bytesIn", bytesIn)
        .put("bytesOut", bytesOut)
        .put("errors", errors)
        .put("authenticated", authenticated);
    if (version != null) {
      o.put("version", version);
    }
    if (capabilities != null) {
      o.put("capabilities", capabilities.copy());
    }
    return o;
  }

  String systemStatus() {
    return systemStatus;
  }

}
