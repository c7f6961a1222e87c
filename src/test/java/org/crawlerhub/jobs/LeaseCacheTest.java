package org.crawlerhub.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import org.crawlerhub.bus.LeaseView;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("LeaseCache keeps the node's LeaseView in step")
class LeaseCacheTest {
  private final LeaseView view = new LeaseView();
  private final LeaseCache cache = new LeaseCache(3, view);

  @Test
  @DisplayName("only running jobs with an owner are in the view, with their attempt, through every kind of change")
  void mirrorsEveryChange() {
    // a claim: assigned, not running yet
    LeaseCache.Entry a = new LeaseCache.Entry("assigned", "crawler-1", 1, 3);
    cache.put("a", a);
    assertThat(view.running("a")).isNull();
    // job_started
    cache.setStatus("a", a, "running");
    assertThat(view.running("a")).isEqualTo(new LeaseView.Lease("crawler-1", 1));
    // another node requeues and reassigns it: attempt 2 under crawler-2, then running there
    cache.follow("a", a, "assigned", 2, "crawler-2");
    assertThat(view.running("a")).isNull();
    cache.follow("a", a, "running", 2, "crawler-2");
    assertThat(view.running("a")).isEqualTo(new LeaseView.Lease("crawler-2", 2));
    // completed
    cache.setStatus("a", a, "completed");
    assertThat(view.running("a")).isNull();
    // loaded from the database while running; removed
    cache.putIfAbsent("b", new LeaseCache.Entry("running", "crawler-1", 1, 3));
    assertThat(view.running("b")).isNotNull();
    cache.remove("b");
    assertThat(view.running("b")).isNull();
    // a row loaded while a newer entry was made meanwhile does not replace it in the view either
    cache.put("c", new LeaseCache.Entry("running", "crawler-1", 4, 5));
    cache.putIfAbsent("c", new LeaseCache.Entry("queued", null, 3, 5));
    assertThat(view.running("c")).isEqualTo(new LeaseView.Lease("crawler-1", 4));
  }

  @Test
  @DisplayName("an evicted or replaced entry no longer speaks for its job, and clear empties the view")
  void evictionReplacementAndClear() {
    LeaseCache.Entry first = new LeaseCache.Entry("running", "crawler-1", 1, 3);
    cache.put("j1", first);
    cache.put("j2", new LeaseCache.Entry("running", "crawler-1", 1, 3));
    cache.put("j3", new LeaseCache.Entry("running", "crawler-1", 1, 3));
    // a fourth entry evicts the oldest (capacity 3): its job leaves the view
    cache.put("j4", new LeaseCache.Entry("running", "crawler-1", 1, 3));
    assertThat(view.running("j1")).isNull();
    assertThat(view.size()).isEqualTo(3);
    // a change to an entry that is no longer cached does not bring the job back
    cache.setStatus("j1", first, "running");
    assertThat(view.running("j1")).isNull();
    // a replaced entry: the old object's changes are ignored
    LeaseCache.Entry old = cache.get("j2");
    cache.put("j2", new LeaseCache.Entry("running", "crawler-3", 2, 3));
    cache.setStatus("j2", old, "failed");
    assertThat(view.running("j2")).isEqualTo(new LeaseView.Lease("crawler-3", 2));
    cache.clear();
    assertThat(view.size()).isZero();
    assertThat(cache.size()).isZero();
  }

  @Test
  @DisplayName("a move reported late (the lease scan, another node) does not replace a later state of the job")
  void lateMovesDoNotGoBack() {
    // a retry requeued the job at attempt 2 and a claim answered first took it
    cache.put("r", new LeaseCache.Entry("assigned", "crawler-2", 2, 3));
    assertThat(cache.advance("r", new LeaseCache.Entry("queued", null, 2, 3))).isFalse();
    assertThat(cache.get("r").owner()).isEqualTo("crawler-2");
    // the same attempt, later status; a later attempt; an unknown job: applied
    cache.put("s", new LeaseCache.Entry("running", "crawler-1", 2, 2));
    assertThat(cache.advance("s", new LeaseCache.Entry("dead", null, 2, 2))).isTrue();
    cache.put("t", new LeaseCache.Entry("running", "crawler-1", 1, 3));
    assertThat(cache.advance("t", new LeaseCache.Entry("queued", null, 2, 3))).isTrue();
    assertThat(cache.advance("u", new LeaseCache.Entry("queued", null, 2, 3))).isTrue();
    assertThat(cache.get("t").status()).isEqualTo("queued");
    // another node's events in the wrong order: the running one stays
    LeaseCache.Entry v = new LeaseCache.Entry("running", "crawler-2", 3, 3);
    cache.put("v", v);
    cache.follow("v", v, "assigned", 3, "crawler-2");
    cache.follow("v", v, "queued", 3, null);
    assertThat(view.running("v")).isEqualTo(new LeaseView.Lease("crawler-2", 3));
  }
}
