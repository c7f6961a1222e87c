package org.crawlerhub.api;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.metrics.HubMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code /api/events} Server-Sent Events stream: hub events from the bus, named, numbered
 * ({@code <epoch>-<seq>}) and kept in a short ring buffer for {@code Last-Event-ID} resume.
 *
 * <p>High-rate sources (job progress, fleet aggregate, crawler heartbeats) are coalesced per key:
 * at most one event per {@link SseSettings#throttleMillis()}, the latest value wins, terminal
 * progress goes out at once. A lifecycle event first flushes that job's pending progress so a
 * client never sees progress after completion. Error records are capped per second.
 *
 * <p>The hub never waits for a client: before each write the response's write queue is checked
 * and a client whose queue is full ({@link SseSettings#writeQueueBytes()}) is disconnected and
 * counted ({@code hub.sse.clients{code=dropped_slow}}). Everything runs on the HTTP verticle's
 * event loop, so there is no locking.
 */
final class EventStream {
  private static final Logger LOG = LoggerFactory.getLogger(EventStream.class);

  /** SSE event names. {@code error} is avoided: EventSource uses it for connection failures. */
  static final String JOB = "job";
  static final String PROGRESS = "progress";
  static final String AGGREGATE = "aggregate";
  static final String CRAWLER = "crawler";
  static final String HEARTBEAT = "heartbeat";
  static final String HUB_ERROR = "hub-error";
  static final String ERRORS_SUPPRESSED = "errors-suppressed";
  static final String ALERT = "alert";
  static final String RESET = "reset";

  private record Event(long seq, String name, Buffer frame) {}

  private final class Client {
    final HttpServerRequest request;
    final HttpServerResponse response;
    final Set<String> types;
    boolean gone;
    /** The HTTP verticle's event loop, where everything here runs. */
    private final Context context;
    /** Frames of this event-loop turn, written together at its end (null: none waiting). */
    private Buffer out;

    Client(HttpServerRequest request, Set<String> types) {
      this.request = request;
      this.response = request.response();
      this.types = types;
      this.context = vertx.getOrCreateContext();
    }

    boolean wants(String name) {
      return types == null || types.contains(name) || RESET.equals(name);
    }

    /**
     * Queues a frame; the frames of one event-loop turn go out as one write when it ends (a batch
     * of 500 heartbeats was 500 writes, each a syscall: with 10,000 crawlers ~2,000 a second per
     * open dashboard). Same order, no added wait.
     */
    void send(Buffer frame) {
      if (gone) {
        return;
      }
      if (out == null) {
        out = Buffer.buffer(Math.max(256, frame.length()));
        context.runOnContext(v -> flush());
      }
      out.appendBuffer(frame);
    }

    /** Writes what this turn queued unless the client is too slow, in which case it is dropped. */
    void flush() {
      Buffer frames = out;
      out = null;
      if (gone || frames == null) {
        return;
      }
      if (response.writeQueueFull()) {
        drop();
        return;
      }
      response.write(frames);
    }

    void drop() {
      gone = true;
      clients.remove(this);
      droppedSlow.increment();
      clientsChanged();
      LOG.warn("SSE client {} dropped: it does not read fast enough", request.remoteAddress());
      request.connection().close();
    }
  }

  private final Vertx vertx;
  private final SseSettings settings;
  private final String epoch = Long.toString(System.currentTimeMillis(), 36);
  private final ArrayDeque<Event> ring = new ArrayDeque<>();
  private final Set<Client> clients = new LinkedHashSet<>();
  private final Map<String, Object> pending = new LinkedHashMap<>();
  private final Map<String, String> pendingNames = new HashMap<>();
  private final Map<String, Long> lastSent = new HashMap<>();
  private final List<MessageConsumer<?>> consumers = new ArrayList<>();
  private final List<MessageConsumer<?>> liveConsumers = new ArrayList<>();
  private final List<Long> timers = new ArrayList<>();
  private final Counter opened;
  private final Counter closed;
  private final Counter droppedSlow;
  private final Counter rejected;
  private long seq;
  private int errorsThisSecond;
  private long errorsSuppressed;

  EventStream(Vertx vertx, SseSettings settings) {
    this.vertx = vertx;
    this.settings = settings;
    MeterRegistry registry = HubMetrics.registry();
    this.opened = Counter.builder(HubMetrics.SSE_CLIENTS).tag("code", "opened")
        .description("SSE clients by outcome").register(registry);
    this.closed = Counter.builder(HubMetrics.SSE_CLIENTS).tag("code", "closed").register(registry);
    this.droppedSlow = Counter.builder(HubMetrics.SSE_CLIENTS).tag("code", "dropped_slow").register(registry);
    this.rejected = Counter.builder(HubMetrics.SSE_CLIENTS).tag("code", "rejected").register(registry);
  }

  /** Subscribes to the hub's event addresses; completes when every consumer is registered. */
  Future<Void> start() {
    List<Future<Void>> ready = new ArrayList<>();
    ready.add(subscribe(Addresses.JOB_EVENTS, m -> {
      JsonObject body = asJson(m.body());
      flushPending(key(PROGRESS, body.getString("jobId")));
      emit(JOB, body);
    }));
    ready.add(subscribe(Addresses.CRAWLER_EVENTS, m -> emit(CRAWLER, m.body())));
    ready.add(subscribe(Addresses.ERRORS, m -> {
      if (errorsThisSecond++ < settings.errorsPerSecond()) {
        emit(HUB_ERROR, m.body());
      } else {
        errorsSuppressed++;
      }
    }));
    ready.add(subscribe(Addresses.ERRORS_ALERTS, m -> emit(ALERT, m.body())));
    long flushEvery = Math.max(20, settings.throttleMillis() / 2);
    timers.add(vertx.setPeriodic(flushEvery, id -> flushDue()));
    timers.add(vertx.setPeriodic(settings.heartbeatMillis(), id -> keepAlive()));
    timers.add(vertx.setPeriodic(1000, id -> errorWindow()));
    return Future.all(ready).mapEmpty();
  }

  /**
   * The high-rate sources (every job's progress, the aggregate, every crawler's heartbeat) are
   * only subscribed while at least one client streams: with nobody watching, coalescing and
   * encoding them was a third of an idle hub's CPU with 10,000 crawlers. A client that connects
   * fetches its snapshot over REST first, then follows the stream.
   */
  private void subscribeLive() {
    liveConsumers.add(liveConsumer(Addresses.PROGRESS_JOBS, m -> {
      JsonObject body = asJson(m.body());
      String stage = body.getString("stage");
      boolean terminal = "completed".equals(stage) || "failed".equals(stage);
      coalesce(PROGRESS, body.getString("jobId"), body, terminal);
    }));
    liveConsumers.add(liveConsumer(Addresses.PROGRESS_AGGREGATE, m -> coalesce(AGGREGATE, "", m.body(), false)));
    // The router partitions' batches (latest heartbeat per connection, every 250 ms), not
    // hub.crawler.message.heartbeat: one delivery per heartbeat woke this event loop 2,000 times a
    // second with 10,000 crawlers, and coalescing per connection kept only the latest anyway.
    liveConsumers.add(liveConsumer(Addresses.CRAWLER_HEARTBEATS, m -> {
      if (asJson(m.body()).getValue("heartbeats") instanceof JsonArray list) {
        for (Object o : list) {
          if (o instanceof JsonObject entry && entry.getValue("envelope") instanceof JsonObject envelope) {
            JsonObject hb = heartbeat(entry, envelope);
            coalesce(HEARTBEAT, hb.getString("connectionId", hb.getString("crawlerId")), hb, false);
          }
        }
      }
    }));
  }

  private void unsubscribeLive() {
    liveConsumers.forEach(MessageConsumer::unregister);
    liveConsumers.clear();
    pending.clear();
    pendingNames.clear();
  }

  /** Called whenever a client arrives or leaves. */
  private void clientsChanged() {
    if (clients.isEmpty() && !liveConsumers.isEmpty()) {
      unsubscribeLive();
    } else if (!clients.isEmpty() && liveConsumers.isEmpty()) {
      subscribeLive();
    }
  }

  private MessageConsumer<Object> liveConsumer(String address, Consumer<Message<Object>> handler) {
    return vertx.eventBus().consumer(address, m -> {
      try {
        handler.accept(m);
      } catch (RuntimeException e) {
        LOG.warn("event from {} not streamed: {}", address, e.toString());
      }
    });
  }

  void stop() {
    timers.forEach(vertx::cancelTimer);
    consumers.forEach(MessageConsumer::unregister);
    liveConsumers.forEach(MessageConsumer::unregister);
    liveConsumers.clear();
    for (Client c : List.copyOf(clients)) {
      c.flush(); // what this turn queued, before the end
      c.gone = true;
      c.response.end();
    }
    clients.clear();
  }

  int clientCount() {
    return clients.size();
  }

  /** Opens a stream for this request; replays from {@code Last-Event-ID} when given. */
  void open(HttpServerRequest request) {
    if (clients.size() >= settings.maxClients()) {
      rejected.increment();
      throw new ApiException(503, "TOO_MANY_CLIENTS", "at most " + settings.maxClients() + " event streams");
    }
    Client client = new Client(request, typesParam(request.getParam("types")));
    HttpServerResponse resp = client.response;
    resp.setChunked(true)
        .putHeader("Content-Type", "text/event-stream; charset=utf-8")
        .putHeader("Cache-Control", "no-cache, no-transform")
        .putHeader("Connection", "keep-alive")
        .putHeader("X-Accel-Buffering", "no");
    resp.setWriteQueueMaxSize(settings.writeQueueBytes());
    resp.closeHandler(v -> forget(client));
    resp.exceptionHandler(t -> forget(client));
    clients.add(client);
    opened.increment();
    clientsChanged();
    resp.write("retry: 3000\n: crawler-hub event stream " + epoch + "\n\n");
    String lastId = request.getHeader("Last-Event-ID");
    if (lastId == null) {
      lastId = request.getParam("lastEventId");
    }
    if (lastId != null && !lastId.isBlank()) {
      replay(client, lastId.trim());
    }
  }

  private void forget(Client client) {
    if (!client.gone) {
      client.gone = true;
      clients.remove(client);
      closed.increment();
      clientsChanged();
    }
  }

  private void replay(Client client, String lastId) {
    long after = parseSeq(lastId);
    Event oldest = ring.peekFirst();
    boolean known = after >= 0 && after <= seq && (oldest == null ? after == seq : after >= oldest.seq() - 1);
    if (!known) {
      // From another hub run, or older than the buffer: the client must refetch its snapshot.
      client.send(frame(null, RESET, new JsonObject().put("reason", "resume point " + lastId
          + " is not in the buffer").put("epoch", epoch).encode()));
      return;
    }
    for (Event e : ring) {
      if (e.seq() > after && client.wants(e.name())) {
        client.send(e.frame());
      }
    }
  }

  private long parseSeq(String id) {
    int dash = id.lastIndexOf('-');
    if (dash <= 0 || !id.substring(0, dash).equals(epoch)) {
      return -1;
    }
    try {
      return Long.parseLong(id.substring(dash + 1));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Appends to the ring and writes to every interested client. */
  void emit(String name, Object body) {
    long n = ++seq;
    String data = body instanceof JsonObject o ? o.encode() : Json.encode(body);
    Event e = new Event(n, name, frame(epoch + "-" + n, name, data));
    ring.addLast(e);
    while (ring.size() > settings.ringSize()) {
      ring.removeFirst();
    }
    for (Client c : List.copyOf(clients)) {
      if (c.wants(name)) {
        c.send(e.frame());
      }
    }
  }

  private static Buffer frame(String id, String name, String data) {
    StringBuilder sb = new StringBuilder(data.length() + 64);
    if (id != null) {
      sb.append("id: ").append(id).append('\n');
    }
    sb.append("event: ").append(name).append('\n');
    // JSON encoding escapes newlines, so one data line suffices.
    sb.append("data: ").append(data).append("\n\n");
    return Buffer.buffer(sb.toString());
  }

  private static String key(String name, String k) {
    return name + '\u0000' + (k == null ? "" : k);
  }

  private void coalesce(String name, String k, Object body, boolean immediate) {
    String key = key(name, k);
    long now = System.currentTimeMillis();
    Long last = lastSent.get(key);
    if (immediate || (!pending.containsKey(key) && (last == null || now - last >= settings.throttleMillis()))) {
      pending.remove(key);
      pendingNames.remove(key);
      lastSent.put(key, now);
      emit(name, body);
    } else {
      pending.put(key, body);
      pendingNames.put(key, name);
    }
  }

  private void flushPending(String key) {
    Object body = pending.remove(key);
    if (body != null) {
      lastSent.put(key, System.currentTimeMillis());
      emit(pendingNames.remove(key), body);
    }
  }

  private void flushDue() {
    long now = System.currentTimeMillis();
    for (Iterator<Map.Entry<String, Object>> it = pending.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Object> e = it.next();
      Long last = lastSent.get(e.getKey());
      if (last == null || now - last >= settings.throttleMillis()) {
        it.remove();
        lastSent.put(e.getKey(), now);
        emit(pendingNames.remove(e.getKey()), e.getValue());
      }
    }
    if (lastSent.size() > 10_000) {
      lastSent.values().removeIf(t -> now - t > 60_000);
    }
  }

  private void keepAlive() {
    Buffer ping = Buffer.buffer(": keep-alive\n\n");
    for (Client c : List.copyOf(clients)) {
      c.send(ping);
    }
  }

  private void errorWindow() {
    errorsThisSecond = 0;
    if (errorsSuppressed > 0) {
      long n = errorsSuppressed;
      errorsSuppressed = 0;
      emit(ERRORS_SUPPRESSED, new JsonObject().put("count", n).put("windowMs", 1000));
    }
  }

  private Future<Void> subscribe(String address, Consumer<Message<Object>> handler) {
    MessageConsumer<Object> c = vertx.eventBus().consumer(address, m -> {
      try {
        handler.accept(m);
      } catch (RuntimeException e) {
        LOG.warn("event from {} not streamed: {}", address, e.toString());
      }
    });
    consumers.add(c);
    return c.completion();
  }

  private static JsonObject asJson(Object body) {
    return body instanceof JsonObject o ? o : new JsonObject();
  }

  /** An accepted heartbeat envelope (its batch entry says who sent it) as a flat event. */
  private static JsonObject heartbeat(JsonObject entry, JsonObject envelope) {
    JsonObject data = envelope.getValue("data") instanceof JsonObject d ? d : new JsonObject();
    JsonObject hb = new JsonObject()
        .put("crawlerId", entry.getString("crawlerId"))
        .put("connectionId", entry.getString("connectionId"))
        .put("nodeId", entry.getString("nodeId"))
        .put("at", java.time.Instant.now().toString())
        .put("sentAt", envelope.getString("timestamp"));
    for (String f : List.of("activeJobs", "totalProcessed", "systemStatus", "uptime")) {
      if (data.containsKey(f)) {
        hb.put(f, data.getValue(f));
      }
    }
    return hb;
  }

  private static Set<String> typesParam(String param) {
    if (param == null || param.isBlank()) {
      return null;
    }
    Set<String> s = new java.util.HashSet<>();
    for (String t : param.split(",")) {
      if (!t.isBlank()) {
        s.add(t.trim());
      }
    }
    return s;
  }
}
