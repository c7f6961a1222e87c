package org.crawlerhub.persistence;

import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.crawlerhub.metrics.HubMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounded in-memory queue of durable writes (lifecycle transitions) that survives a PostgreSQL
 * outage (SPEC §7). Writes with the same key (job id) go to the same lane and are committed in
 * submission order; lanes run in parallel on the pool. A lane commits up to {@code maxBatch}
 * writes in one transaction; on a transient failure the lane backs off (Vert.x timers, doubling
 * up to {@code maxBackoffMs}) and replays the same writes, which must therefore be idempotent.
 * A permanent failure is isolated to the one write that causes it, which is dropped and failed.
 *
 * <p>Not thread-safe: use it from the owning verticle's context only.
 */
public final class WriteBuffer {
  private static final Logger LOG = LoggerFactory.getLogger(WriteBuffer.class);
  /** Immediate re-runs of a batch PostgreSQL aborted for a concurrent transaction before it counts as an outage. */
  private static final int MAX_CONFLICT_RETRIES = 3;
  /** Sum over every buffer of this JVM, exported as {@link HubMetrics#PERSISTENCE_BUFFERED}. */
  private static final AtomicInteger BUFFERED = new AtomicInteger();

  private final Vertx vertx;
  private final Pool pool;
  private final int capacity;
  private final int maxBatch;
  private final long maxBackoffMs;
  private final Lane[] lanes;
  private int size;
  private boolean healthy = true;
  private boolean closed;

  /** One accepted write: {@link #committed()} completes after COMMIT; {@link #delayed()} when it had to wait for the database. */
  public static final class Submission<T> {
    private final String key;
    private final Function<SqlConnection, Future<T>> work;
    private final Promise<T> committed = Promise.promise();
    private final Promise<Void> delayed = Promise.promise();

    private Submission(String key, Function<SqlConnection, Future<T>> work) {
      this.key = key;
      this.work = work;
    }

    public Future<T> committed() {
      return committed.future();
    }

    public Future<Void> delayed() {
      return delayed.future();
    }
  }

  /** Thrown by {@link #submit} when the buffer is full: the caller must push back on its source. */
  public static final class BufferFullException extends RuntimeException {
    public BufferFullException(int capacity) {
      super("persistence write buffer full (" + capacity + " writes waiting for the database)", null, false, false);
    }
  }

  private final class Lane {
    final ArrayDeque<Submission<?>> queue = new ArrayDeque<>();
    boolean busy;
    long backoffMs;
    int isolate; // > 0: replay one write per transaction to find a permanently failing one
    int conflicts; // immediate re-runs of the current batch after a deadlock or serialization failure

    void drain() {
      if (busy || closed || queue.isEmpty()) {
        return;
      }
      busy = true;
      int n = Math.min(isolate > 0 ? 1 : maxBatch, queue.size());
      List<Submission<?>> batch = new ArrayList<>(n);
      var it = queue.iterator();
      for (int i = 0; i < n; i++) {
        batch.add(it.next());
      }
      List<Object> results = new ArrayList<>(n);
      long started = System.nanoTime();
      Future<Void> run;
      try {
        run = pool.withTransaction(conn -> applyAll(conn, batch, results));
      } catch (RuntimeException e) {
        run = Future.failedFuture(e);
      }
      run.onComplete(ar -> {
        busy = false;
        if (ar.succeeded()) {
          BatchMetrics.record("lifecycle", batch.size(), System.nanoTime() - started);
          committed(batch, results);
        } else {
          failed(batch, ar.cause());
        }
      });
    }

    /**
     * Issues every write of the batch at once: the client pipelines them on the connection, so the
     * batch costs one round trip instead of one per write (and per follow-up statement); PostgreSQL
     * runs them in order, so a later write of the same job sees the earlier one. The first failure
     * fails the batch (the transaction is rolled back), as when they ran one after the other.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private Future<Void> applyAll(SqlConnection conn, List<Submission<?>> batch, List<Object> results) {
      List<Future<?>> all = new ArrayList<>(batch.size());
      for (Submission s : batch) {
        Future<Object> f;
        try {
          f = (Future<Object>) s.work.apply(conn);
        } catch (RuntimeException e) {
          f = Future.failedFuture(e);
        }
        all.add(f);
      }
      return Future.all(all).map(done -> {
        for (int i = 0; i < all.size(); i++) {
          results.add(done.resultAt(i));
        }
        return null;
      });
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private void committed(List<Submission<?>> batch, List<Object> results) {
      if (!healthy) {
        LOG.info("PostgreSQL reachable again; replaying buffered writes ({} waiting)", size);
      }
      healthy = true;
      backoffMs = 0;
      conflicts = 0;
      for (int i = 0; i < batch.size(); i++) {
        queue.poll();
        size--;
        BUFFERED.decrementAndGet();
        if (isolate > 0) {
          isolate--;
        }
        Submission s = batch.get(i);
        s.committed.tryComplete(results.get(i));
      }
      drain();
    }

    private void failed(List<Submission<?>> batch, Throwable cause) {
      if (PgErrors.isConflict(cause) && conflicts < MAX_CONFLICT_RETRIES) {
        // PostgreSQL aborted this transaction for a concurrent one (a deadlock, a serialization
        // failure): the database is up, so run the batch again at once instead of going into the
        // outage mode (backoff, early acknowledgements, lease scans paused)
        conflicts++;
        LOG.info("PostgreSQL aborted a write batch of {} ({}); running it again", batch.size(), PgErrors.describe(cause));
        drain();
        return;
      }
      conflicts = 0;
      if (PgErrors.isTransient(cause)) {
        if (healthy) {
          LOG.warn("PostgreSQL write failed ({}); buffering writes and retrying", PgErrors.describe(cause));
        }
        healthy = false;
        batch.forEach(s -> s.delayed.tryComplete());
        backoffMs = backoffMs == 0 ? 50 : Math.min(maxBackoffMs, backoffMs * 2);
        vertx.setTimer(backoffMs, id -> drain());
      } else if (batch.size() > 1) {
        isolate = batch.size();
        drain();
      } else {
        Submission<?> s = queue.poll();
        size--;
        BUFFERED.decrementAndGet();
        if (isolate > 0) {
          isolate--;
        }
        LOG.error("Dropping a write that cannot succeed (key {}): {}", s.key, PgErrors.describe(cause));
        s.committed.tryFail(cause);
        drain();
      }
    }
  }

  public WriteBuffer(Vertx vertx, Pool pool, int capacity, int lanes, int maxBatch, long maxBackoffMs) {
    this.vertx = vertx;
    this.pool = pool;
    this.capacity = capacity;
    this.maxBatch = maxBatch;
    this.maxBackoffMs = maxBackoffMs;
    this.lanes = new Lane[Math.max(1, lanes)];
    for (int i = 0; i < this.lanes.length; i++) {
      this.lanes[i] = new Lane();
    }
    var registry = HubMetrics.registry();
    if (registry.find(HubMetrics.PERSISTENCE_BUFFERED).gauge() == null) {
      Gauge.builder(HubMetrics.PERSISTENCE_BUFFERED, BUFFERED, AtomicInteger::get)
          .description("writes waiting for PostgreSQL")
          .strongReference(true)
          .register(registry);
    }
  }

  /**
   * Queues {@code work} (run inside a transaction, possibly more than once: it must be idempotent).
   *
   * @throws BufferFullException when {@code capacity} writes are already waiting
   */
  public <T> Submission<T> submit(String key, Function<SqlConnection, Future<T>> work) {
    if (closed) {
      throw new IllegalStateException("write buffer closed");
    }
    if (size >= capacity) {
      throw new BufferFullException(capacity);
    }
    Submission<T> s = new Submission<>(key, work);
    Lane lane = lanes[Math.floorMod(key.hashCode(), lanes.length)];
    lane.queue.add(s);
    size++;
    BUFFERED.incrementAndGet();
    if (!healthy) {
      s.delayed.tryComplete();
    }
    lane.drain();
    return s;
  }

  /** False after a transient failure until the next successful commit. */
  public boolean healthy() {
    return healthy;
  }

  /** Writes accepted and not yet committed. */
  public int size() {
    return size;
  }

  /** Stops draining; whatever is still queued is reported and forgotten. */
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (size > 0) {
      LOG.warn("Write buffer closed with {} writes not yet committed", size);
    }
    BUFFERED.addAndGet(-size);
    size = 0;
  }
}
