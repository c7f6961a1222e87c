package org.crawlerhub.sim;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Ingest throughput of the hub against the raw ceiling ({@link BaselineServer}), same client
 * workload, alternating rounds in one run (see bench/ingest.sh, which starts both servers).
 *
 * <p>Per round and target: {@code --connections} Unix-socket connections each claim a job (the
 * hub; the baseline answers no job, so a made-up id is used), send {@code job_started}, then — timed
 * — blast their share of {@code --messages} ~{@code --message-bytes} job_progress lines with
 * a probe {@code job_request} (maxJobs 0) every {@code --probe-every} lines, and end with a final
 * {@code job_request} (maxJobs 0). Replies are barriers, so the time to the last final reply covers
 * only fully processed messages. The last line printed is exactly
 * {@code ratio=<hub/baseline> hub_msgs_per_s=<n> baseline_msgs_per_s=<n> p99_ms=<n>} (medians of the
 * rounds; p99 of the probe round trip pooled over the hub's rounds, or the baseline's without a hub;
 * an unmeasured target shows 0).
 */
public final class IngestBenchmark {
  private IngestBenchmark() {}

  static final String USAGE = """
      IngestBenchmark: hub vs raw-ceiling ingest throughput (job_progress over Unix sockets).
        --baseline-socket=PATH   BaselineServer socket (omit to skip)
        --hub-socket=PATH        hub socket (omit to skip); jobs are enqueued via --api
        --api=http://127.0.0.1:8080 --admin-token=T
        --connections=64 --messages=2000000 --rounds=3 --message-bytes=300
        --batch-bytes=16384      bytes per client write (lines are packed)
        --probe-every=5000       probe job_request every N lines per connection (0 = none)
        --warmup-messages=N      lines of each untimed warm-up round (default: --messages, 0 = no warm-up)
        --warmup-rounds=2        untimed warm-up rounds per target first
        --client-threads=1       client event loops
        --hello=true
        --hub-pid=N --baseline-pid=N  server pids: each round also reports the server's CPU per message
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
    int rounds = a.integer("rounds", 3);
    // A whole round of warm-up by default: the hub's hot path is far more code than the baseline's
    // and C2 is still compiling it after 200,000 lines (its first measured round was then the slowest).
    long warmup = a.longValue("warmup-messages", a.longValue("messages", 2_000_000));
    // Two warm-up rounds by default: every round starts with a fleet reconnect (jobs enqueued over
    // HTTP, new connections claiming jobs), which makes C2 throw away code it specialised for the
    // blast; after one warm-up round the first measured round still paid for that (JFR:
    // 75 deoptimisations as it began, bench/RESULTS.md), after two the code is compiled for both.
    int warmupRounds = warmup > 0 ? Math.max(1, a.integer("warmup-rounds", 2)) : 0;
    int threads = a.integer("client-threads", 1);
    ProcessCpu hubCpu = ProcessCpu.of(a.longValue("hub-pid", 0));
    ProcessCpu baselineCpu = ProcessCpu.of(a.longValue("baseline-pid", 0));
    BenchWorkload base = new BenchWorkload(null, a.integer("connections", 64), a.longValue("messages", 2_000_000),
        a.integer("message-bytes", 300), a.integer("batch-bytes", 16384), a.integer("probe-every", 5000),
        0, false, a.bool("hello", true), threads, 0, 1);
    a.rejectUnknown();
    if (baselineSocket == null && hubSocket == null) {
      System.err.println("give --baseline-socket and/or --hub-socket\n" + USAGE);
      System.exit(2);
    }
    if (hubSocket != null && !SimOptions.isLoopbackUrl(api)) {
      System.err.println("--api must be a loopback URL");
      System.exit(2);
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(threads));
    int status = 0;
    try {
      Result r = run(vertx, baselineSocket, hubSocket, api, adminToken, base, rounds, warmup, warmupRounds,
          hubCpu, baselineCpu);
      System.out.println(r.lastLine());
    } catch (Exception e) {
      System.err.println("ingest benchmark failed: " + e.getMessage());
      status = 1;
    }
    vertx.close().await(10, TimeUnit.SECONDS);
    System.exit(status);
  }

  record Result(List<BenchRound> hub, List<BenchRound> baseline) {
    double hubMedian() {
      return median(hub);
    }

    double baselineMedian() {
      return median(baseline);
    }

    double p99Millis() {
      LatencyHistogram h = new LatencyHistogram();
      (hub.isEmpty() ? baseline : hub).forEach(r -> h.add(r.probeLatency()));
      return h.percentile(99) / 1e6;
    }

    String lastLine() {
      double hubRate = hubMedian();
      double baseRate = baselineMedian();
      double ratio = hubRate > 0 && baseRate > 0 ? hubRate / baseRate : 0;
      return String.format(Locale.ROOT, "ratio=%.3f hub_msgs_per_s=%.0f baseline_msgs_per_s=%.0f p99_ms=%.2f",
          ratio, hubRate, baseRate, p99Millis());
    }
  }

  static double median(List<BenchRound> rounds) {
    if (rounds.isEmpty()) {
      return 0;
    }
    double[] v = rounds.stream().mapToDouble(BenchRound::msgsPerSecond).sorted().toArray();
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** {total, system} CPU nanoseconds of a server so far, or null without a pid. */
  static long[] cpuNow(ProcessCpu cpu) {
    return cpu == null ? null : new long[] {cpu.nanos(), cpu.systemNanos()};
  }

  /**
   * " | server CPU x µs/msg (y cores, z % system)" for a round, or "" without a pid. The round's CPU
   * includes its untimed set-up and tear-down (a few hundred messages), negligible against the blast.
   */
  static String cpuPerMessage(ProcessCpu cpu, long[] before, BenchRound r) {
    long[] after = cpuNow(cpu);
    if (after == null || before == null || before[0] < 0 || after[0] < 0 || r.messages() == 0 || r.nanos() == 0) {
      return "";
    }
    double used = after[0] - before[0];
    double system = after[1] - before[1];
    return String.format(Locale.ROOT, " | server CPU %.2f µs/msg (%.2f cores, %.0f %% system)",
        used / 1e3 / r.messages(), used / r.nanos(), used > 0 ? 100 * system / used : 0);
  }

  /** A round starts once the machine is below this busy share (the other target's leftovers done). */
  static final double QUIET = 0.15;
  static final long QUIET_MAX_WAIT_MS = 30_000;

  /** Runs the warm-up and the alternating rounds; prints each round; answers the measurements. */
  static Result run(Vertx vertx, String baselineSocket, String hubSocket, String api, String adminToken,
      BenchWorkload base, int rounds, long warmupMessages, int warmupRounds, ProcessCpu hubCpu,
      ProcessCpu baselineCpu) throws Exception {
    String tag = Long.toString(System.currentTimeMillis(), 36);
    List<BenchRound> hub = new ArrayList<>();
    List<BenchRound> baseline = new ArrayList<>();
    // rounds 1 - warmupRounds .. 0 are the warm-up, 1 .. rounds are measured
    for (int round = warmupMessages > 0 ? 1 - warmupRounds : 1; round <= rounds; round++) {
      BenchWorkload bw = round <= 0 ? base.withMessages(Math.max(base.connections(), warmupMessages)) : base;
      String label = round <= 0
          ? "warm-up" + (warmupRounds > 1 ? " " + (round + warmupRounds) : "") : "round " + round;
      if (baselineSocket != null) {
        BenchWorkload w = new BenchWorkload(baselineSocket, bw.connections(), bw.messages(), bw.messageBytes(),
            bw.batchBytes(), bw.probeEvery(), 0, false, bw.hello(), bw.clientThreads(), 0, 1);
        String settled = MachineCpu.awaitQuiet(QUIET, QUIET_MAX_WAIT_MS);
        long[] cpu0 = cpuNow(baselineCpu);
        BenchRound r = BenchClient.round(vertx, w, "baseline", Math.max(0, round), "bench-" + tag + "-b" + (round + warmupRounds))
            .await(600, TimeUnit.SECONDS);
        System.out.println((round <= 0 ? label + ": " : "") + r.format() + cpuPerMessage(baselineCpu, cpu0, r)
            + settled);
        if (round > 0) {
          baseline.add(r);
        }
      }
      if (hubSocket != null) {
        BenchWorkload w = new BenchWorkload(hubSocket, bw.connections(), bw.messages(), bw.messageBytes(),
            bw.batchBytes(), bw.probeEvery(), 0, true, bw.hello(), bw.clientThreads(), 0, 1);
        BenchClient.enqueueJobs(vertx, api, adminToken, w.connections(), tag + "-r" + (round + warmupRounds))
            .await(60, TimeUnit.SECONDS);
        String settled = MachineCpu.awaitQuiet(QUIET, QUIET_MAX_WAIT_MS);
        long[] cpu0 = cpuNow(hubCpu);
        BenchRound r = BenchClient.round(vertx, w, "hub", Math.max(0, round), "bench-" + tag + "-h" + (round + warmupRounds))
            .await(600, TimeUnit.SECONDS);
        System.out.println((round <= 0 ? label + ": " : "") + r.format() + cpuPerMessage(hubCpu, cpu0, r)
            + settled);
        if (!r.errorsByCode().isEmpty()) {
          System.out.println("  WARNING: the hub rejected messages in this round; its rate is not a valid ingest number");
        }
        if (round > 0) {
          hub.add(r);
        }
      }
    }
    Result result = new Result(hub, baseline);
    if (!baseline.isEmpty()) {
      System.out.printf(Locale.ROOT, "baseline median: %,.0f msg/s over %d rounds%n", result.baselineMedian(), baseline.size());
    }
    if (!hub.isEmpty()) {
      System.out.printf(Locale.ROOT, "hub median:      %,.0f msg/s over %d rounds%n", result.hubMedian(), hub.size());
    }
    System.out.printf(Locale.ROOT, "p99_ms = p99 of the probe job_request round trip during the blast (%s rounds)%n",
        hub.isEmpty() ? "baseline" : "hub");
    return result;
  }
}
