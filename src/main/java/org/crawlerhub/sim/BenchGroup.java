package org.crawlerhub.sim;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.parsetools.RecordParser;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/**
 * One client event loop's connections of a benchmark round. Phases, each driven by the
 * orchestrator ({@link BenchClient}) and completing a future: {@link #prepare} (connect, hello,
 * claim a job, {@code job_started}, barrier), {@link #blast} (the timed job_progress stream with
 * probes, ended by a barrier per connection), {@link #finish} (complete the job, barrier, close).
 * Writes respect back-pressure: a connection stops on {@code writeQueueFull} and resumes on drain.
 */
final class BenchGroup extends VerticleBase {
  private enum Kind { CLAIM, SETUP_BARRIER, PROBE, FINAL_BARRIER, CLOSE_BARRIER }

  private record Pending(long sentAt, Kind kind) {}

  /** Paced: every connection is topped up once per tick. */
  private static final long TICK_NANOS = 2_000_000;

  private final BenchWorkload w;
  private final List<Integer> indices;
  private final String crawlerPrefix;
  private final List<Conn> conns = new ArrayList<>();
  final LatencyHistogram probeLatency = new LatencyHistogram();
  /** Probes sent in the first {@link #warmupNanos} of the blast (kept apart from {@link #probeLatency}). */
  final LatencyHistogram warmupProbeLatency = new LatencyHistogram();
  /** Probes sent before this long into the blast count as warm-up (0: none). */
  long warmupNanos;
  /** Where measured probes are also logged one by one (null: not logged). */
  ProbeLog probeLog;
  final LatencyHistogram barrierLatency = new LatencyHistogram();
  /** One-way probes sent after the warm-up ({@link BenchWorkload#oneWayEveryMs}). */
  long oneWaySent;
  final Map<String, Long> errorsByCode = new TreeMap<>();
  private NetClient client;
  private volatile boolean pacing;
  private long blastStart;

  BenchGroup(BenchWorkload w, List<Integer> indices, String crawlerPrefix) {
    this.w = w;
    this.indices = indices;
    this.crawlerPrefix = crawlerPrefix;
  }

  @Override
  public Future<?> start() {
    client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(10_000).setTcpNoDelay(true));
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    pacing = false;
    return client.close();
  }

  private <T> Future<T> onContext(Supplier<Future<T>> action) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> action.get().onComplete(p));
    return p.future();
  }

  /** Connects every connection of this group and gets it ready to send progress for a held job. */
  Future<Void> prepare() {
    return onContext(() -> {
      List<Future<Void>> ready = new ArrayList<>();
      for (int i : indices) {
        Conn c = new Conn(crawlerPrefix + "-" + i, messagesFor(i));
        conns.add(c);
        ready.add(c.connect());
      }
      return Future.all(ready).mapEmpty();
    });
  }

  private long messagesFor(int i) {
    long base = w.messages() / w.connections();
    return base + (i < w.messages() % w.connections() ? 1 : 0);
  }

  /** The timed phase; completes when every connection's final barrier is answered. */
  Future<Void> blast(long startNanos) {
    return onContext(() -> {
      blastStart = startNanos;
      List<Future<Void>> done = new ArrayList<>();
      for (Conn c : conns) {
        done.add(c.blastDone.future());
        // staggered: the connections' probes spread over the interval instead of coming together
        c.nextOneWayAt = startNanos + (long) (ThreadLocalRandom.current().nextDouble() * oneWayIntervalNanos());
      }
      if (w.rate() > 0) {
        conns.forEach(Conn::paced);
        startPacer();
      } else {
        conns.forEach(Conn::pump);
      }
      return Future.all(done).andThen(ar -> pacing = false).mapEmpty();
    });
  }

  /**
   * Tops the connections up every {@link #TICK_NANOS}, in {@code paceSlices} groups spread over
   * the tick, each group on this verticle's context. Vert.x timers step in whole milliseconds, so
   * a thread of its own keeps the beat; it stops with the blast (or the verticle).
   */
  private void startPacer() {
    int slices = w.paceSlices();
    List<List<Conn>> groups = new ArrayList<>();
    for (int s = 0; s < slices; s++) {
      groups.add(new ArrayList<>());
    }
    for (int i = 0; i < conns.size(); i++) {
      groups.get(i % slices).add(conns.get(i));
    }
    long step = TICK_NANOS / slices;
    pacing = true;
    Thread pacer = new Thread(() -> {
      long next = System.nanoTime();
      for (int s = 0; pacing; s = (s + 1) % slices) {
        List<Conn> group = groups.get(s);
        if (!group.isEmpty()) {
          context.runOnContext(v -> group.forEach(Conn::paced));
        }
        next += step;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
      }
    }, "bench-pacer");
    pacer.setDaemon(true);
    pacer.start();
  }

  /** Completes each held job, waits for a last barrier and closes. */
  Future<Void> finish() {
    return onContext(() -> Future.all(conns.stream().map(Conn::finish).toList()).mapEmpty());
  }

  private long oneWayIntervalNanos() {
    return TimeUnit.MILLISECONDS.toNanos(w.oneWayEveryMs());
  }

  private void error(String code) {
    errorsByCode.merge(code, 1L, Long::sum);
  }

  private static String envelope(String type, String jobId, JsonObject data) {
    JsonObject m = new JsonObject().put("type", type).put("timestamp", Instant.now().toString());
    if (jobId != null) {
      m.put("jobId", jobId);
    }
    return m.put("data", data).encode() + "\n";
  }

  private static final String REQUEST_ZERO_PREFIX = "{\"type\":\"job_request\",\"timestamp\":\"";
  private static final String REQUEST_ZERO_SUFFIX = "\",\"data\":{\"maxJobs\":0}}\n";

  /** One benchmark connection (one simulated crawler). */
  private final class Conn {
    private final String crawlerId;
    private final long share;
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private final Promise<Void> ready = Promise.promise();
    private final Promise<Void> blastDone = Promise.promise();
    private final Promise<Void> closed = Promise.promise();
    private final byte[] scratch = new byte[64 * 1024];
    private byte[][] segments;
    private NetSocket socket;
    private String jobId;
    /** The job this connection's one-way probes report on (null: no probes). */
    private String probeJobId;
    private long nextOneWayAt;
    private long oneWayCount;
    private String timestamp;
    private long sent;
    private long sinceProbe;
    private boolean finalBarrierSent;
    private boolean closing;
    private boolean drainArmed;

    Conn(String crawlerId, long share) {
      this.crawlerId = crawlerId;
      this.share = share;
    }

    Future<Void> connect() {
      client.connect(SocketAddress.domainSocketAddress(w.socketPath())).onComplete(ar -> {
        if (ar.failed()) {
          ready.tryFail(ar.cause());
          return;
        }
        socket = ar.result();
        RecordParser parser = RecordParser.newDelimited("\n", socket).maxRecordSize(64 * 1024 * 1024);
        parser.handler(this::onLine);
        parser.exceptionHandler(e -> socket.close());
        socket.closeHandler(v -> onClosed());
        if (w.hello()) {
          socket.write(envelope("hello", null, new JsonObject().put("crawlerId", crawlerId)
              .put("version", "bench-1").put("capabilities", new JsonArray().add("project"))));
        }
        pending.add(new Pending(System.nanoTime(), Kind.CLAIM));
        int jobs = w.oneWayEveryMs() > 0 ? 2 : 1;
        socket.write(envelope("job_request", null, new JsonObject().put("maxJobs", w.claimJobs() ? jobs : 0)));
      });
      return ready.future();
    }

    private void onClosed() {
      RuntimeException e = new IllegalStateException("connection " + crawlerId + " closed by the server"
          + (errorsByCode.isEmpty() ? "" : " (errors " + errorsByCode + ")"));
      ready.tryFail(e);
      blastDone.tryFail(e);
      if (!closing) {
        error("local:closed_by_peer");
      }
      closed.tryComplete();
    }

    private void onLine(Buffer buf) {
      if (buf.length() == 0) {
        return;
      }
      JsonObject msg = new JsonObject(buf);
      String type = msg.getString("type");
      if ("error".equals(type)) {
        error(String.valueOf(msg.getJsonObject("data", new JsonObject()).getValue("code")));
        return;
      }
      if (!"job_response".equals(type)) {
        return;
      }
      long now = System.nanoTime();
      Pending p = pending.poll();
      if (p == null) {
        error("local:unexpected_job_response");
        return;
      }
      switch (p.kind()) {
        case CLAIM -> onClaim(msg.getJsonObject("data").getJsonArray("jobs", new JsonArray()));
        case SETUP_BARRIER -> ready.tryComplete();
        case PROBE -> {
          boolean warm = p.sentAt() - blastStart < warmupNanos;
          (warm ? warmupProbeLatency : probeLatency).record(now - p.sentAt());
          if (!warm && probeLog != null) {
            probeLog.add(p.sentAt(), now - p.sentAt());
          }
        }
        case FINAL_BARRIER -> {
          barrierLatency.record(now - p.sentAt());
          blastDone.tryComplete();
        }
        case CLOSE_BARRIER -> {
          closing = true;
          socket.close();
        }
      }
    }

    private void onClaim(JsonArray jobs) {
      boolean probes = w.oneWayEveryMs() > 0;
      if (!w.claimJobs()) {
        jobId = crawlerId + "-job";
        probeJobId = probes ? crawlerId + "-probe" : null;
      } else if (jobs.size() >= (probes ? 2 : 1)) {
        jobId = jobs.getJsonObject(0).getString("id");
        probeJobId = probes ? jobs.getJsonObject(1).getString("id") : null;
      } else {
        ready.tryFail(new IllegalStateException("connection " + crawlerId + " got " + jobs.size()
            + " job(s) from job_request, needs " + (probes ? 2 : 1) + " (queue empty, or maxConcurrentJobs reached?)"));
        return;
      }
      timestamp = Instant.now().truncatedTo(ChronoUnit.MILLIS).toString();
      buildTemplate();
      socket.write(envelope("job_started", jobId, new JsonObject().put("entityType", "issue")
          .put("entityId", crawlerId)));
      if (probeJobId != null) {
        socket.write(envelope("job_started", probeJobId, new JsonObject().put("entityType", "issue")
            .put("entityId", crawlerId + "-probe")));
      }
      pending.add(new Pending(System.nanoTime(), Kind.SETUP_BARRIER));
      socket.write(REQUEST_ZERO_PREFIX + timestamp + REQUEST_ZERO_SUFFIX);
    }

    /**
     * Builds the constant parts of this connection's ~messageBytes job_progress line; only the
     * numbers change per line, so a line is a few array copies (the client must stay cheap: it
     * shares the cores with the server under test).
     */
    private void buildTemplate() {
      segments = segments(0);
      int unpadded = progressLine(Math.max(1, share / 2)); // a typical line of this connection
      segments = segments(Math.max(0, w.messageBytes() - unpadded));
    }

    private byte[][] segments(int padding) {
      return new byte[][] {
          ascii("{\"type\":\"job_progress\",\"timestamp\":\"" + timestamp + "\",\"jobId\":\"" + jobId
              + "\",\"data\":{\"stage\":\"fetching\",\"entityType\":\"issue\",\"processed\":"),
          ascii(",\"total\":" + (share + 1) + ",\"message\":\"page "),
          ascii(".".repeat(padding) + "\",\"resumeState\":{\"currentPage\":"),
          ascii("},\"itemCounts\":{\"issues\":"),
          ascii(",\"notes\":"),
          ascii("}}}\n")};
    }

    private static byte[] ascii(String s) {
      return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Writes the line for {@code n} into {@link #scratch}; answers its length. */
    private int progressLine(long n) {
      int pos = 0;
      pos = put(segments[0], pos);
      pos = putLong(n, pos);
      pos = put(segments[1], pos);
      pos = putLong(n, pos);
      pos = put(segments[2], pos);
      pos = putLong(n, pos);
      pos = put(segments[3], pos);
      pos = putLong(n, pos);
      pos = put(segments[4], pos);
      pos = putLong(3 * n, pos);
      return put(segments[5], pos);
    }

    private int put(byte[] bytes, int pos) {
      System.arraycopy(bytes, 0, scratch, pos, bytes.length);
      return pos + bytes.length;
    }

    private int putLong(long v, int pos) {
      int digits = 1;
      for (long rest = v / 10; rest > 0; rest /= 10) {
        digits++;
      }
      int end = pos + digits;
      int i = end;
      do {
        scratch[--i] = (byte) ('0' + v % 10);
        v /= 10;
      } while (v > 0);
      return end;
    }

    /** Appends up to {@code max} lines (and due probes) to one buffer of about batchBytes. */
    private void writeChunk(long max) {
      // Sized for what is due: paced, that is a line or two per tick, and a batchBytes buffer per
      // write was mostly zeroing (37 % of the generator's CPU at 120,000 msg/s, perf).
      long due = Math.min(max, share - sent) * (w.messageBytes() + 64L);
      Buffer chunk = Buffer.buffer((int) Math.min(w.batchBytes(), due) + 1024);
      long wrote = 0;
      long now = System.nanoTime();
      if (probeJobId != null && now >= nextOneWayAt && sent < share) {
        appendOneWayProbe(chunk, now);
      }
      while (wrote < max && sent < share && chunk.length() < w.batchBytes()) {
        chunk.appendBytes(scratch, 0, progressLine(++sent));
        wrote++;
        if (w.probeEvery() > 0 && ++sinceProbe >= w.probeEvery() && sent < share) {
          sinceProbe = 0;
          pending.add(new Pending(now, Kind.PROBE));
          chunk.appendString(REQUEST_ZERO_PREFIX).appendString(timestamp).appendString(REQUEST_ZERO_SUFFIX);
        }
      }
      if (sent == share && !finalBarrierSent) {
        finalBarrierSent = true;
        pending.add(new Pending(now, Kind.FINAL_BARRIER));
        chunk.appendString(REQUEST_ZERO_PREFIX).appendString(timestamp).appendString(REQUEST_ZERO_SUFFIX);
      }
      socket.write(chunk);
    }

    /**
     * A job_progress on the probe job whose message carries {@code now}: it leaves with the lines
     * of this chunk. The next one is due after the interval plus up to a quarter of it (jitter, so
     * that no probe arrives inside the hub's publish throttle of the previous one).
     */
    private void appendOneWayProbe(Buffer chunk, long now) {
      long interval = oneWayIntervalNanos();
      nextOneWayAt = now + interval + (long) (ThreadLocalRandom.current().nextDouble() * interval / 4);
      if (now - blastStart >= warmupNanos) {
        oneWaySent++;
      }
      chunk.appendString("{\"type\":\"job_progress\",\"timestamp\":\"").appendString(timestamp)
          .appendString("\",\"jobId\":\"").appendString(probeJobId)
          .appendString("\",\"data\":{\"stage\":\"fetching\",\"entityType\":\"issue\",\"processed\":")
          .appendString(Long.toString(++oneWayCount)).appendString(",\"message\":\"")
          .appendString(OneWayProbes.MESSAGE_PREFIX).appendString(Long.toString(now)).appendString("\"}}\n");
    }

    /** As fast as the socket takes it: write until the queue is full, continue on drain. */
    void pump() {
      for (int chunks = 0; !finalBarrierSent; chunks++) {
        if (socket.writeQueueFull()) {
          armDrain(this::pump);
          return;
        }
        if (chunks == 16) {
          context.runOnContext(v -> pump()); // let this loop's other connections write too
          return;
        }
        writeChunk(Long.MAX_VALUE);
      }
    }

    /** Offered load: send what is due at {@code rate / connections} msg/s since the start. */
    void paced() {
      if (finalBarrierSent) {
        return;
      }
      double perConn = w.rate() / w.connections();
      long due = (long) ((System.nanoTime() - blastStart) / 1e9 * perConn) - sent;
      while (due > 0 && !finalBarrierSent) {
        if (socket.writeQueueFull()) {
          return; // the next tick catches up; the achieved rate shows the shortfall
        }
        long before = sent;
        writeChunk(due);
        due -= sent - before;
      }
    }

    private void armDrain(Runnable then) {
      if (!drainArmed) {
        drainArmed = true;
        socket.drainHandler(v -> {
          drainArmed = false;
          then.run();
        });
      }
    }

    Future<Void> finish() {
      if (socket == null || closed.future().isComplete()) {
        return Future.succeededFuture();
      }
      if (jobId != null) {
        socket.write(envelope("job_completed", jobId, new JsonObject().put("success", true)
            .put("finalCounts", new JsonObject().put("issues", sent))));
      }
      if (probeJobId != null) {
        socket.write(envelope("job_completed", probeJobId, new JsonObject().put("success", true)
            .put("finalCounts", new JsonObject().put("issues", oneWayCount))));
      }
      pending.add(new Pending(System.nanoTime(), Kind.CLOSE_BARRIER));
      socket.write(REQUEST_ZERO_PREFIX + Instant.now() + REQUEST_ZERO_SUFFIX);
      long timer = vertx.setTimer(30_000, t -> {
        closing = true;
        error("local:close_timeout");
        socket.close();
      });
      return closed.future().andThen(ar -> vertx.cancelTimer(timer));
    }
  }
}
