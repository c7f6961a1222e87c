package org.crawlerhub.jobs;

import java.util.LinkedHashMap;
import java.util.Map;
import org.crawlerhub.persistence.LeaseRow;

/**
 * In-memory view of job leases (jobId -> status, owner, attempt), filled by claims and lifecycle
 * transitions and loaded from the database on a miss, so {@code job_progress} is validated without
 * a database round trip. The oldest entries are evicted beyond {@code capacity}; an evicted job is
 * simply loaded again. Event-loop confined.
 */
final class LeaseCache {

  /** One job's lease as this node believes it is. Mutable: updated as transitions are accepted. */
  static final class Entry {
    String status;
    String owner;
    int attempt;
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

    boolean active() {
      return "assigned".equals(status) || "running".equals(status);
    }
  }

  private final LinkedHashMap<String, Entry> entries;

  LeaseCache(int capacity) {
    // insertion order, not access order: a hit must not relink the entry (every job_progress looks
    // its lease up here); the oldest entries go first, and an active one evicted is just reloaded
    this.entries = new LinkedHashMap<>(1024, 0.75f, false) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
        return size() > capacity;
      }
    };
  }

  Entry get(String jobId) {
    return entries.get(jobId);
  }

  void put(String jobId, Entry e) {
    entries.put(jobId, e);
  }

  /** Keeps an entry made while a load was in flight (it is newer than the loaded row). */
  Entry putIfAbsent(String jobId, Entry e) {
    Entry existing = entries.putIfAbsent(jobId, e);
    return existing != null ? existing : e;
  }

  void remove(String jobId) {
    entries.remove(jobId);
  }

  int size() {
    return entries.size();
  }
}
