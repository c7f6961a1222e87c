package org.crawlerhub.sim;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * One event loop's share of the simulated fleet: crawlers {@code i} with
 * {@code i % workers == index}. Everything here runs on this verticle's event loop, so the
 * crawlers and the histograms need no locking; counters shared with the reporter are in
 * {@link SimStats}.
 */
final class SimWorker extends VerticleBase {
  private final SimOptions options;
  private final SimStats stats;
  private final int index;
  private final int workers;
  private final long deadlineNanos;
  private final Random random;
  private final List<SimulatedCrawler> crawlers = new ArrayList<>();
  private final Promise<Void> finished = Promise.promise();
  final LatencyHistogram jobRequestLatency = new LatencyHistogram();
  final LatencyHistogram tokenRefreshLatency = new LatencyHistogram();

  private NetClient client;
  private boolean stopping;
  private int nextToConnect;
  private int connecting;
  private int done;
  private long stopTimer = -1;
  private long forceTimer = -1;
  private long budgetTimer = -1;

  SimWorker(SimOptions options, SimStats stats, int index, int workers, long deadlineNanos) {
    this.options = options;
    this.stats = stats;
    this.index = index;
    this.workers = workers;
    this.deadlineNanos = deadlineNanos;
    this.random = new Random(options.seed() * 31 + index);
  }

  SimOptions options() {
    return options;
  }

  SimStats stats() {
    return stats;
  }

  Random random() {
    return random;
  }

  NetClient client() {
    return client;
  }

  Vertx vertx() {
    return vertx;
  }

  Context context() {
    return context;
  }

  boolean stopping() {
    return stopping;
  }

  /** Completes when every crawler of this worker has finished (or never got to connect). */
  Future<Void> finished() {
    return finished.future();
  }

  @Override
  public Future<?> start() {
    client = vertx.createNetClient(new NetClientOptions().setConnectTimeout(10_000).setTcpNoDelay(true));
    for (int i = index; i < options.crawlers(); i += workers) {
      crawlers.add(new SimulatedCrawler(this, options.crawlerPrefix() + "-" + i, i));
    }
    if (crawlers.isEmpty()) {
      finished.tryComplete();
      return Future.succeededFuture();
    }
    long remainingMs = Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000);
    stopTimer = vertx.setTimer(remainingMs, t -> stopAll());
    if (options.totalJobs() > 0) {
      budgetTimer = vertx.setPeriodic(50, t -> {
        if (stats.jobsCompleted.sum() + stats.jobsFailed.sum() >= options.totalJobs()) {
          stopAll();
        }
      });
    }
    connectMore();
    return Future.succeededFuture();
  }

  /** Keeps up to this worker's share of {@code --connect-concurrency} connection attempts going. */
  private void connectMore() {
    int limit = Math.max(1, options.connectConcurrency() / workers);
    while (!stopping && connecting < limit && nextToConnect < crawlers.size()) {
      SimulatedCrawler c = crawlers.get(nextToConnect++);
      connecting++;
      c.connect().onComplete(ar -> {
        connecting--;
        connectMore();
      });
    }
  }

  /** The deadline: every crawler winds down; after the drain timeout the rest is closed. */
  void stopAll() {
    if (stopping) {
      return;
    }
    stopping = true;
    if (budgetTimer >= 0) {
      vertx.cancelTimer(budgetTimer);
    }
    for (int i = nextToConnect; i < crawlers.size(); i++) {
      crawlers.get(i).skip();
    }
    nextToConnect = crawlers.size();
    for (SimulatedCrawler c : new ArrayList<>(crawlers)) {
      c.stop();
    }
    forceTimer = vertx.setTimer(Math.max(1, options.drainTimeoutS() * 1000), t -> {
      for (SimulatedCrawler c : new ArrayList<>(crawlers)) {
        c.forceClose();
      }
    });
  }

  void crawlerDone() {
    stats.crawlersDone.increment();
    if (++done == crawlers.size()) {
      vertx.cancelTimer(stopTimer);
      if (forceTimer >= 0) {
        vertx.cancelTimer(forceTimer);
      }
      finished.tryComplete();
    }
  }

  @Override
  public Future<?> stop() {
    return client == null ? Future.succeededFuture() : client.close();
  }
}
