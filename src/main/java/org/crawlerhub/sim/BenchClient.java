package org.crawlerhub.sim;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Runs one benchmark round against one target: untimed set-up (connect, claim, job_started,
 * barrier), the timed job_progress phase (from the first write until every connection's final
 * barrier is answered — so only fully processed messages count), untimed tear-down.
 */
final class BenchClient {
  private BenchClient() {}

  static Future<BenchRound> round(Vertx vertx, BenchWorkload w, String target, int round, String crawlerPrefix) {
    return round(vertx, w, target, round, crawlerPrefix, 0, null);
  }

  /**
   * A round whose probes sent in its first {@code warmupNanos} go to {@code warmupProbes} instead of
   * the round's probe latency (same connections, same jobs, one continuous blast).
   */
  static Future<BenchRound> round(Vertx vertx, BenchWorkload w, String target, int round, String crawlerPrefix,
      long warmupNanos, LatencyHistogram warmupProbes) {
    return round(vertx, w, target, round, crawlerPrefix, warmupNanos, warmupProbes, null);
  }

  /** {@link #round(Vertx, BenchWorkload, String, int, String, long, LatencyHistogram)}, every measured probe also in {@code probeLog}. */
  static Future<BenchRound> round(Vertx vertx, BenchWorkload w, String target, int round, String crawlerPrefix,
      long warmupNanos, LatencyHistogram warmupProbes, ProbeLog probeLog) {
    List<BenchGroup> groups = new ArrayList<>();
    int threads = Math.min(w.clientThreads(), w.connections());
    for (int t = 0; t < threads; t++) {
      List<Integer> indices = new ArrayList<>();
      for (int i = t; i < w.connections(); i += threads) {
        indices.add(i);
      }
      BenchGroup g = new BenchGroup(w, indices, crawlerPrefix);
      g.warmupNanos = warmupNanos;
      g.probeLog = probeLog;
      groups.add(g);
    }
    List<String> deployments = new ArrayList<>();
    long[] window = new long[2];
    Future<Void> deployed = Future.all(groups.stream()
        .map(g -> vertx.deployVerticle(g).onSuccess(deployments::add)).toList()).mapEmpty();
    Future<BenchRound> run = deployed
        .compose(v -> all(groups, BenchGroup::prepare))
        .compose(v -> {
          window[0] = System.nanoTime();
          return all(groups, g -> g.blast(window[0]));
        })
        .compose(v -> {
          window[1] = System.nanoTime();
          return all(groups, BenchGroup::finish);
        })
        .map(v -> {
          LatencyHistogram probes = new LatencyHistogram();
          LatencyHistogram barriers = new LatencyHistogram();
          Map<String, Long> errors = new TreeMap<>();
          long oneWaySent = 0;
          for (BenchGroup g : groups) {
            oneWaySent += g.oneWaySent;
            probes.add(g.probeLatency);
            if (warmupProbes != null) {
              warmupProbes.add(g.warmupProbeLatency);
            }
            barriers.add(g.barrierLatency);
            g.errorsByCode.forEach((k, n) -> errors.merge(k, n, Long::sum));
          }
          return new BenchRound(target, round, w.messages(), window[1] - window[0], probes, barriers, errors,
              oneWaySent, window[0] + warmupNanos);
        });
    return run.eventually(() -> Future.all(deployments.stream().map(vertx::undeploy).toList()));
  }

  private static Future<Void> all(List<BenchGroup> groups, Function<BenchGroup, Future<Void>> phase) {
    return Future.all(groups.stream().map(phase).toList()).mapEmpty();
  }

  /** Enqueues {@code count} high-priority jobs through the hub's HTTP API (untimed). */
  static Future<Void> enqueueJobs(Vertx vertx, String api, String adminToken, int count, String tag) {
    JobEnqueuer enqueuer = new JobEnqueuer(vertx, api, adminToken);
    List<JsonObject> specs = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      specs.add(JobEnqueuer.spec("project", "bench/" + tag + "/project-" + i, "https://gitlab.example.test", 1000));
    }
    return enqueuer.enqueue(specs).andThen(ar -> enqueuer.close()).compose(created -> created.size() == count
        ? Future.<Void>succeededFuture()
        : Future.failedFuture("enqueued " + created.size() + " of " + count + " jobs"));
  }
}
