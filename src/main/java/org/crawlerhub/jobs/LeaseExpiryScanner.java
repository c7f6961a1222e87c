package org.crawlerhub.jobs;

import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import org.crawlerhub.persistence.ExpiredJob;
import org.crawlerhub.persistence.JobRepository;

/**
 * One pass of the lease scanner (SPEC §2.5): requeues jobs whose lease expired (crawler gone past
 * {@code leaseGrace}) or that sent nothing for {@code jobTimeout}, and due retries of failed jobs.
 * Each is one statement whose row locks make the move exactly-once across instances and nodes;
 * out of attempts, a job goes to {@code dead} instead.
 */
final class LeaseExpiryScanner {
  static final int BATCH = 1000;

  private final JobRepository jobs;
  private final long jobTimeoutMs;
  private final String nodeId;

  LeaseExpiryScanner(JobRepository jobs, long jobTimeoutMs, String nodeId) {
    this.jobs = jobs;
    this.jobTimeoutMs = jobTimeoutMs;
    this.nodeId = nodeId;
  }

  /** Moves every due job (in batches of {@value #BATCH}); answers what moved. */
  Future<List<ExpiredJob>> scan() {
    List<ExpiredJob> moved = new ArrayList<>();
    return drain(() -> jobs.expireLeases(jobTimeoutMs, BATCH, nodeId), moved)
        .compose(v -> drain(() -> jobs.dueRetries(BATCH, nodeId), moved))
        .map(v -> moved);
  }

  private Future<Void> drain(java.util.function.Supplier<Future<List<ExpiredJob>>> step, List<ExpiredJob> into) {
    return step.get().compose(batch -> {
      into.addAll(batch);
      return batch.size() == BATCH ? drain(step, into) : Future.succeededFuture();
    });
  }
}
