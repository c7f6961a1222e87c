package org.crawlerhub.sim;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Crawler fleet simulator and load generator: N simulated GitLab crawlers on one Vert.x instance
 * (non-blocking {@code NetClient}s spread over the event loops, so 10,000 connections are fine),
 * against the hub or the {@link BaselineServer}. See {@link SimOptions#USAGE} for the options.
 *
 * <pre>
 * java -cp ... org.crawlerhub.sim.FleetSimulator --socket=data/crawler-hub.sock --crawlers=50 \
 *     --enqueue=500 --api=http://127.0.0.1:8080 --duration-s=60
 * java -cp ... org.crawlerhub.sim.FleetSimulator --socket=... --idle-connections=10000 --heartbeat-ms=5000 --duration-s=120
 * </pre>
 *
 * Prints a live progress line (once per second on a terminal) and a summary: messages sent and
 * received, msg/s, job_request -> job_response round-trip percentiles, errors by code.
 */
public final class FleetSimulator {
  private FleetSimulator() {}

  public static void main(String[] args) {
    SimOptions o;
    try {
      CliArgs a = CliArgs.parse(args);
      if (a.has("help")) {
        System.out.print(SimOptions.USAGE);
        return;
      }
      o = SimOptions.from(a);
      a.rejectUnknown();
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.err.print(SimOptions.USAGE);
      System.exit(2);
      return;
    }
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(o.eventLoops()));
    int status = 0;
    try {
      SimSummary summary = run(vertx, o, System.out)
          .await(o.durationS() + o.drainTimeoutS() + 600, TimeUnit.SECONDS);
      System.out.println(summary.format());
      if (summary.everConnected() == 0) {
        System.err.println("simulator: no connection could be opened");
        status = 1;
      }
    } catch (Exception e) {
      System.err.println("simulator failed: " + e.getMessage());
      status = 1;
    }
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("simulator: Vert.x did not close in time: " + e.getMessage());
    }
    System.exit(status);
  }

  /**
   * Runs one bounded simulation on {@code vertx} (its event loops carry the crawlers). Live
   * progress goes to {@code out} ({@code --progress=off} for none); the summary is returned.
   */
  public static Future<SimSummary> run(Vertx vertx, SimOptions o, PrintStream out) {
    Future<Integer> enqueued = Future.succeededFuture(0);
    if (o.enqueue() > 0 && !o.idleMode()) {
      JobEnqueuer enqueuer = new JobEnqueuer(vertx, o.api(), o.adminToken());
      String tag = Long.toString(System.currentTimeMillis(), 36);
      List<JsonObject> specs = new ArrayList<>();
      Random r = new Random(o.seed());
      for (int k = 0; k < o.enqueue(); k++) {
        boolean areas = r.nextDouble() < o.enqueueAreasShare();
        specs.add(JobEnqueuer.spec(areas ? "areas" : "project",
            (areas ? "sim-account-" : "sim-" + tag + "/group/project-") + (areas ? tag + "-" + k : k),
            o.gitlabUrl(), 1));
      }
      enqueued = enqueuer.enqueue(specs).map(List::size).andThen(ar -> enqueuer.close());
      enqueued.onSuccess(n -> out.println("enqueued " + n + " jobs via " + o.api() + "/api/jobs"));
    }
    return enqueued.compose(n -> simulate(vertx, o, out, n));
  }

  private static Future<SimSummary> simulate(Vertx vertx, SimOptions o, PrintStream out, int enqueued) {
    SimStats stats = new SimStats();
    long start = System.nanoTime();
    long deadline = start + TimeUnit.SECONDS.toNanos(o.durationS());
    int workers = Math.min(o.eventLoops(), o.crawlers());
    List<SimWorker> all = Collections.synchronizedList(new ArrayList<>());
    AtomicInteger nextIndex = new AtomicInteger();
    ProgressLine progress = new ProgressLine(o, stats, out, start);
    long reporter = vertx.setPeriodic(progress.periodMs(), t -> progress.print(false));
    AtomicInteger beforeDeadline = new AtomicInteger(-1);
    long heldSample = vertx.setTimer(Math.max(1, o.durationS() * 1000 - 200),
        t -> beforeDeadline.set(stats.connected.get()));
    return vertx.deployVerticle(() -> {
          SimWorker w = new SimWorker(o, stats, nextIndex.getAndIncrement(), workers, deadline);
          all.add(w);
          return w;
        }, new DeploymentOptions().setInstances(workers))
        .compose(id -> Future.all(all.stream().map(SimWorker::finished).toList())
            .eventually(() -> {
              vertx.cancelTimer(reporter);
              progress.print(true);
              return vertx.undeploy(id);
            }))
        .andThen(ar -> { // also when the deployment itself failed
          vertx.cancelTimer(reporter);
          vertx.cancelTimer(heldSample);
        })
        .map(v -> {
          LatencyHistogram rtt = new LatencyHistogram();
          LatencyHistogram token = new LatencyHistogram();
          all.forEach(w -> {
            rtt.add(w.jobRequestLatency);
            token.add(w.tokenRefreshLatency);
          });
          return new SimSummary(o.crawlers(), o.idleMode(), System.nanoTime() - start, enqueued,
              stats.sent.sum(), stats.received.sum(), stats.bytesSent.sum(), stats.sentByType(),
              stats.receivedByType(), stats.errorsByCode(), stats.everConnected.sum(),
              stats.peakConnected.get(), beforeDeadline.get() < 0 ? stats.connected.get() : beforeDeadline.get(),
              stats.jobsStarted.sum(), stats.jobsCompleted.sum(),
              stats.jobsFailed.sum(), stats.jobsReleased.sum(), stats.emptyResponses.sum(),
              stats.crashes.sum(), stats.jobsAbandoned.sum(), stats.reconnects.sum(), rtt, token);
        });
  }

  /** The live progress line: a carriage-return bar on a terminal, plain lines otherwise. */
  private static final class ProgressLine {
    private final SimOptions o;
    private final SimStats stats;
    private final PrintStream out;
    private final long start;
    private final boolean bar;
    private final boolean off;
    private long lastSent;
    private long lastAt;

    ProgressLine(SimOptions o, SimStats stats, PrintStream out, long start) {
      this.o = o;
      this.stats = stats;
      this.out = out;
      this.start = start;
      this.lastAt = start;
      String mode = o.progress();
      this.off = mode.equals("off");
      this.bar = mode.equals("bar") || (mode.equals("auto") && System.console() != null);
    }

    long periodMs() {
      return bar ? 1000 : 5000;
    }

    synchronized void print(boolean last) {
      if (off) {
        return;
      }
      long now = System.nanoTime();
      long sent = stats.sent.sum();
      double rate = (sent - lastSent) / Math.max(1e-9, (now - lastAt) / 1e9);
      lastSent = sent;
      lastAt = now;
      double elapsed = (now - start) / 1e9;
      double fraction = Math.min(1, elapsed / o.durationS());
      long totalJobs = (long) o.crawlers() * o.jobsPerCrawler();
      long jobs = stats.jobsCompleted.sum() + stats.jobsFailed.sum();
      if (!o.idleMode() && totalJobs > 0) {
        fraction = Math.max(fraction, Math.min(1, (double) jobs / totalJobs));
      }
      if (last) {
        fraction = 1;
      }
      String line = String.format(Locale.ROOT,
          "%5.0fs sent=%d recv=%d %.0f msg/s conns=%d/%d %s errors=%d",
          elapsed, sent, stats.received.sum(), rate, stats.connected.get(), o.crawlers(),
          o.idleMode() ? "idle" : "jobs=" + jobs + "/" + totalJobs, stats.errors());
      if (bar) {
        int width = 30;
        int filled = (int) Math.round(fraction * width);
        out.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] "
            + String.format(Locale.ROOT, "%3.0f%% ", fraction * 100) + line + "   ");
        if (last) {
          out.println();
        }
      } else {
        out.println(line);
      }
      out.flush();
    }
  }
}
