package org.crawlerhub.jobs;

import java.util.LinkedHashMap;
import java.util.Map;
import org.crawlerhub.bus.LeaseView;
import org.crawlerhub.persistence.LeaseRow;
import org.crawlerhub.protocol.JobStatusOrder;

/**
 * In-memory view of job leases (jobId -> status, owner, attempt), filled by claims and lifecycle
 * transitions and loaded from the database on a miss, so {@code job_progress} is validated without
 * a database round trip. The oldest entries are evicted beyond {@code capacity}; an evicted job is
 * simply loaded again. Event-loop confined.
 *
 * <p>Every change of an entry's status, owner or attempt goes through this class, which mirrors it
 * into the node's {@link LeaseView} in the same step (the router reads that view from its own
 * threads).
 */
final class LeaseCache {

  /** One job's lease as this node believes it is. Changed only through {@link LeaseCache}. */
  static final class Entry {
    private String status;
    private String owner;
    private int attempt;
    int maxAttempts;

    Entry(String status, String owner, int attempt, int maxAttempts) {
      this.status = status;
      this.owner = owner;
      this.attempt = attempt;
      this.maxAttempts = maxAttempts;
    }

    static Entry of(LeaseRow r) {
      return new Entry(r.status(), r.owner(), r.attempt(), r.maxAttempts());
    }

    String status() {
      return status;
    }

    String owner() {
      return owner;
    }

    int attempt() {
      return attempt;
    }

    boolean active() {
      return "assigned".equals(status) || "running".equals(status);
    }
  }

  private final LinkedHashMap<String, Entry> entries;
  private final LeaseView view;

  LeaseCache(int capacity, LeaseView view) {
    this.view = view;
    // insertion order, not access order: a hit must not relink the entry (every job_progress looks
    // its lease up here); the oldest entries go first, and an active one evicted is just reloaded
    this.entries = new LinkedHashMap<>(1024, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
        if (size() > capacity) {
          view.remove(eldest.getKey());
          return true;
        }
        return false;
      }
    };
  }

  Entry get(String jobId) {
    return entries.get(jobId);
  }

  void put(String jobId, Entry e) {
    entries.put(jobId, e);
    mirror(jobId, e);
  }

  /** Keeps an entry made while a load was in flight (it is newer than the loaded row). */
  Entry putIfAbsent(String jobId, Entry e) {
    Entry existing = entries.putIfAbsent(jobId, e);
    if (existing != null) {
      return existing;
    }
    mirror(jobId, e);
    return e;
  }

  /**
   * A move learned from another statement or node than the one that made the cached state (the
   * lease scan, another node's event): replies on different connections come back in any order,
   * so it replaces the entry only if it is a later state of the job (attempt, then status).
   *
   * @return whether the entry was replaced
   */
  boolean advance(String jobId, Entry e) {
    Entry known = entries.get(jobId);
    if (known != null && !JobStatusOrder.isNewer(e.attempt, e.status, known.attempt, known.status)) {
      return false;
    }
    put(jobId, e);
    return true;
  }

  void remove(String jobId) {
    entries.remove(jobId);
    view.remove(jobId);
  }

  /** The job moved to {@code status} (same owner and attempt). */
  void setStatus(String jobId, Entry e, String status) {
    e.status = status;
    mirrorIfCached(jobId, e);
  }

  /** Another node moved the job: its new status, attempt and owner, unless the entry already shows a later state. */
  void follow(String jobId, Entry e, String status, int attempt, String owner) {
    if (!JobStatusOrder.isNewer(attempt, status, e.attempt, e.status)) {
      return;
    }
    e.status = status;
    e.attempt = attempt;
    e.owner = owner;
    mirrorIfCached(jobId, e);
  }

  /** Forgets every entry and empties the view (the jobs service stops). */
  void clear() {
    entries.clear();
    view.clear();
  }

  int size() {
    return entries.size();
  }

  private void mirrorIfCached(String jobId, Entry e) {
    if (entries.get(jobId) == e) { // an entry replaced or evicted meanwhile no longer speaks for the job
      mirror(jobId, e);
    }
  }

  private void mirror(String jobId, Entry e) {
    view.set(jobId, e.status, e.owner, e.attempt);
  }
}
