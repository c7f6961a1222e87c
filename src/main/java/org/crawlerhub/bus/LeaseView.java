package org.crawlerhub.bus;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The node's jobs service's view of which jobs are <b>running</b> and under which lease (owner,
 * attempt), readable from any thread of the node. Written only by the jobs service, in the same
 * step in which its lease cache changes (a claim, a transition, a lease expiry, another node's
 * job event, an API move, an eviction), so a reader sees either the state before a change or the
 * state after it. A job that is not running, or that the jobs service has not cached, is absent.
 *
 * <p>The router answers a {@code job_progress} from it when the job is running under the
 * sender's lease and nothing else of that crawler is in flight at the jobs service (ARCHITECTURE,
 * "Message flow" 3): the jobs service then only records the progress, fenced again by owner and
 * attempt. Node-local: found in the shared-data map {@link #MAP} under {@link #KEY}.
 */
public final class LeaseView implements Shareable {
  /** Node-local shared-data map holding the view. */
  public static final String MAP = "hub.jobs.lease-view";
  /** Key of the view in {@link #MAP}. */
  public static final String KEY = "view";

  /** A running job's lease. */
  public record Lease(String owner, int attempt) {}

  private final ConcurrentHashMap<String, Lease> running = new ConcurrentHashMap<>();

  /** The node's view (made on first use, by whichever of the jobs service or the router asks first). */
  public static LeaseView of(Vertx vertx) {
    LocalMap<String, LeaseView> map = vertx.sharedData().getLocalMap(MAP);
    LeaseView fresh = new LeaseView();
    LeaseView existing = map.putIfAbsent(KEY, fresh);
    return existing != null ? existing : fresh;
  }

  /** The lease of {@code jobId} if the job is running, else null. */
  public Lease running(String jobId) {
    return running.get(jobId);
  }

  /** Records the job's current state: kept when {@code status} is {@code running} with an owner, else dropped. */
  public void set(String jobId, String status, String owner, int attempt) {
    if ("running".equals(status) && owner != null) {
      Lease now = running.get(jobId);
      if (now == null || now.attempt() != attempt || !now.owner().equals(owner)) {
        running.put(jobId, new Lease(owner, attempt));
      }
    } else {
      running.remove(jobId);
    }
  }

  /** The job is no longer known to the jobs service. */
  public void remove(String jobId) {
    running.remove(jobId);
  }

  /** Forgets every job (the jobs service stopped: nothing is answered from here any more). */
  public void clear() {
    running.clear();
  }

  public int size() {
    return running.size();
  }
}
