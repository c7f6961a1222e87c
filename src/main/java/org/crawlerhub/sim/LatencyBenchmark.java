package org.crawlerhub.sim;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Processing latency at a fixed offered load, measured two ways in the same run.
 *
 * <p><b>One-way</b> (#6's definition: a job_progress leaving the client socket to the matching
 * {@code hub.progress.job.<id>} publish): with {@code --hub-probe-file} / {@code
 * --baseline-probe-file} (the file the server under test records to: {@link ProbedHub}, {@code
 * BaselineServer --probe-file}), each connection also holds a probe job and about every
 * {@code --one-way-every-ms} sends a job_progress on it that carries its send time
 * ({@link OneWayProbes}); the server notes when it published it. The interval is above the hub's
 * publish throttle (250 ms), so each probe is published as it arrives.
 *
 * <p><b>Round trip</b> (the outside bound, all sessions before 10): every
 * {@code --probe-every} job_progress lines a connection writes a {@code job_request} (maxJobs 0)
 * in the same write; the hub answers it only after every earlier message of the connection was
 * accepted by the router (SPEC §1.1), so the time from that write to the reply bounds the time a
 * job_progress takes from leaving the client to being accepted (plus one tiny job_request).
 * Load is paced at {@code --rate} job_progress msg/s over all connections: each connection is
 * topped up every 2 ms, the connections in {@code --pace-slices} groups spread over the 2 ms (a
 * fleet's crawlers do not write in step; one burst of every connection per tick made each line
 * queue behind a tick's worth of others at the server). The achieved rate is printed so a
 * saturated target (latency = queueing) is visible.
 *
 * <p>Warm-up: by default the first {@code --warmup-s} seconds of one continuous run on the same
 * connections and jobs; only probes sent after it count. With {@code --separate-warmup} the
 * warm-up is a run of its own on other connections and jobs, and the measured run starts with a
 * fleet-wide reconnect (new jobs claimed and started, the old ones completed): on the hub that
 * transition makes the JIT throw away code compiled for the warm-up's steady state (a burst of
 * {@code unstable_if} deoptimisations across the hot path), so the first seconds of the measured
 * run are a recompilation backlog, not steady-state latency.
 *
 * <p>Per target: {@code latency target=<t> rate=<offered> achieved=<n> p50_ms= p95_ms= p99_ms= max_ms=}
 * (the round trip), then with probe files {@code one-way target=<t> routed|published|delivered p50_ms= …
 * probes=<seen> sent=<n>}.
 */
public final class LatencyBenchmark {
  private LatencyBenchmark() {}

  static final String USAGE = """
      LatencyBenchmark: job_progress -> barrier reply round trip at a fixed offered load.
        --baseline-socket=PATH and/or --hub-socket=PATH (--api, --admin-token for the hub's jobs)
        --rate=20000             offered job_progress msg/s over all connections
        --duration-s=30          measured time per target
        --warmup-s=5             the first seconds of the run, not counted
        --separate-warmup        warm up on other connections/jobs, then measure on new ones
        --connections=64 --probe-every=10 --message-bytes=300 --client-threads=1
        --probe-log=PATH         every measured probe to PATH.<target> (bench/probe-stalls.py reads it)
        --hub-probe-file=PATH --baseline-probe-file=PATH
                                 where the servers record one-way probes (ProbedHub, BaselineServer --probe-file)
        --one-way-every-ms=400   one-way probe interval per connection (above progressPublishInterval)
        --pace-slices=8          the connections are topped up every 2 ms in this many groups spread
                                 over the 2 ms (1: all at once, one burst per tick, as before session 13)
      """;

  public static void main(String[] args) throws Exception {
    CliArgs a = CliArgs.parse(args);
    if (a.has("help")) {
      System.out.print(USAGE);
      return;
    }
    String baselineSocket = a.string("baseline-socket", null);
    String hubSocket = a.string("hub-socket", null);
    String api = a.string("api", "http://127.0.0.1:8080");
    String adminToken = a.string("admin-token", System.getenv("HUB_ADMIN_TOKEN"));
    double rate = a.decimal("rate", 20_000);
    long duration = a.longValue("duration-s", 30);
    long warmup = a.longValue("warmup-s", 5);
    int connections = a.integer("connections", 64);
    int probeEvery = a.integer("probe-every", 10);
    int messageBytes = a.integer("message-bytes", 300);
    int threads = a.integer("client-threads", 1);
    boolean separateWarmup = a.has("separate-warmup");
    String probeLogPath = a.string("probe-log", null);
    String hubProbeFile = a.string("hub-probe-file", null);
    String baselineProbeFile = a.string("baseline-probe-file", null);
    long oneWayEveryMs = a.longValue("one-way-every-ms", 400);
    int paceSlices = a.integer("pace-slices", 8);
    a.rejectUnknown();
    if ((baselineSocket == null && hubSocket == null) || rate <= 0 || (hubSocket != null && !SimOptions.isLoopbackUrl(api))) {
      System.err.println("give --baseline-socket and/or --hub-socket, --rate > 0, a loopback --api\n" + USAGE);
      System.exit(2);
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(threads));
    int status = 0;
    try {
      String tag = Long.toString(System.currentTimeMillis(), 36);
      for (String target : new String[] {"baseline", "hub"}) {
        String socket = target.equals("hub") ? hubSocket : baselineSocket;
        if (socket == null) {
          continue;
        }
        boolean hub = target.equals("hub");
        String probeFile = hub ? hubProbeFile : baselineProbeFile;
        long oneWay = probeFile == null ? 0 : oneWayEveryMs;
        int jobsPerConnection = oneWay > 0 ? 2 : 1;
        if (!separateWarmup) {
          // one continuous run: the warm-up is its beginning
          BenchWorkload w = new BenchWorkload(socket, connections,
              Math.max(connections, (long) (rate * (warmup + duration))), messageBytes, 1 << 16, probeEvery, rate,
              hub, true, threads, oneWay, paceSlices);
          if (hub) {
            BenchClient.enqueueJobs(vertx, api, adminToken, connections * jobsPerConnection, tag + "-lat")
                .await(60, TimeUnit.SECONDS);
          }
          LatencyHistogram warm = new LatencyHistogram();
          ProbeLog log = probeLogPath == null ? null : new ProbeLog();
          BenchRound r = BenchClient.round(vertx, w, target, 1, "lat-" + tag + "-" + target,
              TimeUnit.SECONDS.toNanos(warmup), warm, log).await((warmup + duration) * 10 + 120, TimeUnit.SECONDS);
          if (warmup > 0) {
            System.out.println("warm-up: " + line(target, rate, r, warm));
          }
          System.out.println(line(target, rate, r, r.probeLatency()));
          oneWay(vertx, target, probeFile, r);
          saturationNote(rate, r);
          writeLog(log, probeLogPath, target);
          continue;
        }
        for (int phase = warmup > 0 ? 0 : 1; phase <= 1; phase++) {
          long seconds = phase == 0 ? warmup : duration;
          BenchWorkload w = new BenchWorkload(socket, connections, Math.max(connections, (long) (rate * seconds)),
              messageBytes, 1 << 16, probeEvery, rate, hub, true, threads, oneWay, paceSlices);
          if (hub) {
            BenchClient.enqueueJobs(vertx, api, adminToken, connections * jobsPerConnection, tag + "-lat" + phase)
                .await(60, TimeUnit.SECONDS);
          }
          ProbeLog log = probeLogPath == null || phase == 0 ? null : new ProbeLog();
          BenchRound r = BenchClient.round(vertx, w, target, phase, "lat-" + tag + "-" + target + phase, 0, null, log)
              .await(seconds * 10 + 120, TimeUnit.SECONDS);
          writeLog(log, probeLogPath, target);
          String line = line(target, rate, r, r.probeLatency());
          System.out.println(phase == 0 ? "warm-up: " + line : line);
          if (phase == 1) {
            oneWay(vertx, target, probeFile, r);
            saturationNote(rate, r);
          }
        }
      }
    } catch (Exception e) {
      System.err.println("latency benchmark failed: " + e.getMessage());
      status = 1;
    }
    vertx.close().await(10, TimeUnit.SECONDS);
    System.exit(status);
  }

  private static String line(String target, double rate, BenchRound r, LatencyHistogram p) {
    return String.format(Locale.ROOT,
        "latency target=%s rate=%.0f achieved=%.0f p50_ms=%.3f p95_ms=%.3f p99_ms=%.3f max_ms=%.3f probes=%d errors=%s",
        target, rate, r.msgsPerSecond(), p.percentile(50) / 1e6, p.percentile(95) / 1e6,
        p.percentile(99) / 1e6, p.max() / 1e6, p.count(), r.errorsByCode().isEmpty() ? "none" : r.errorsByCode());
  }

  /**
   * Prints the one-way times of the probes this round sent after its warm-up, read from the
   * server's probe file: {@code published} and (the hub) {@code delivered}, and how many of the
   * probes sent the server saw.
   */
  private static void oneWay(Vertx vertx, String target, String probeFile, BenchRound r) throws Exception {
    if (probeFile == null) {
      return;
    }
    // the server appends its records every 100 ms; the last probes are published after the last
    // barrier: read again until all are there (at most 2 s)
    OneWayProbes.Summary s = OneWayProbes.read(Path.of(probeFile), r.measuredFromNanos());
    for (int i = 0; i < 20 && s.published().count() < r.oneWaySent(); i++) {
      vertx.timer(100, TimeUnit.MILLISECONDS).await();
      s = OneWayProbes.read(Path.of(probeFile), r.measuredFromNanos());
    }
    if (s.routed().count() > 0) {
      System.out.println(oneWayLine(target, "routed", s.routed(), r.oneWaySent()));
    }
    System.out.println(oneWayLine(target, "published", s.published(), r.oneWaySent()));
    if (s.delivered().count() > 0) {
      System.out.println(oneWayLine(target, "delivered", s.delivered(), r.oneWaySent()));
    }
  }

  private static String oneWayLine(String target, String kind, LatencyHistogram h, long sent) {
    return String.format(Locale.ROOT,
        "one-way target=%s %s p50_ms=%.3f p95_ms=%.3f p99_ms=%.3f max_ms=%.3f probes=%d sent=%d",
        target, kind, h.percentile(50) / 1e6, h.percentile(95) / 1e6, h.percentile(99) / 1e6, h.max() / 1e6,
        h.count(), sent);
  }

  private static void writeLog(ProbeLog log, String path, String target) throws IOException {
    if (log != null) {
      Path file = Path.of(path + "." + target);
      log.write(file);
      System.out.println("probe log: " + log.size() + " probes in " + file);
    }
  }

  private static void saturationNote(double rate, BenchRound r) {
    if (r.msgsPerSecond() < rate * 0.95) {
      System.out.println("  NOTE: achieved rate is below 95% of the offered rate: the target (or client) is"
          + " saturated and the latency above is mostly queueing");
    }
  }
}
