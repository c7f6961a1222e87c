package org.crawlerhub.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link JobRepository#FLUSH_PROGRESS} and {@link JobRepository#RENEW_LEASES} against a real PostgreSQL: fencing, lease extension, in-place (HOT) updates, no lock waits. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ProgressFlushTest {
  private static final long EXTEND_MS = 60_000;

  private Vertx vertx;
  private Pool pool;
  private String url;
  private JobRepository jobs;

  @BeforeEach
  void start() {
    url = TestDatabase.freshDatabase();
    vertx = Vertx.vertx();
    pool = Database.pool(vertx, url, 2);
    jobs = new JobRepository(pool);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  private void runningJob(String id, String leaseExpiry) {
    TestDatabase.exec(url, "INSERT INTO jobs (id, status, priority, entity_type, entity_id, attempt, max_attempts,"
        + " lease_owner, lease_expires_at) VALUES ('" + id + "', 'running', 1, 'project', '" + id + "', 1, 3,"
        + " 'crawler-1', " + leaseExpiry + ")");
  }

  private static PendingProgress progress(String id, long processed) {
    return new PendingProgress(id, "crawler-1", 1, new JsonObject().put("processed", processed).put("total", 1000),
        new JsonObject().put("page", processed), OffsetDateTime.now(ZoneOffset.UTC), EXTEND_MS);
  }

  private int flush(String id, long processed) throws Exception {
    return get(jobs.flushProgress(List.of(progress(id, processed)))).size();
  }

  /** A connection whose open transaction holds the row of job {@code id} (as a transition being committed would). */
  private SqlConnection holdRow(String id) throws Exception {
    SqlConnection other = get(pool.getConnection());
    get(other.query("BEGIN").execute());
    get(other.preparedQuery("UPDATE jobs SET updated_at = now() WHERE id = $1").execute(Tuple.of(id)));
    return other;
  }

  private Row row(String sql, Object... args) throws Exception {
    return get(pool.preparedQuery(sql).execute(Tuple.wrap(args))).iterator().next();
  }

  @Test
  @DisplayName("a flush extends a lease that fell a tenth of the extension behind, and leaves one ahead of that alone")
  void leaseExtension() throws Exception {
    // GIVEN a job whose lease runs out in 5 s and one whose lease runs out in 59 s
    runningJob("short", "now() + interval '5 seconds'");
    runningJob("fresh", "now() + interval '59 seconds'");
    OffsetDateTime freshBefore = row("SELECT lease_expires_at FROM jobs WHERE id = $1", "fresh").getOffsetDateTime(0);
    // WHEN progress of both is flushed with a 60 s extension
    assertThat(flush("short", 1)).isEqualTo(1);
    assertThat(flush("fresh", 1)).isEqualTo(1);
    // THEN the short lease is now about 60 s ahead; the fresh one (more than 54 s ahead) is unchanged
    assertThat(row("SELECT lease_expires_at > now() + interval '58 seconds' FROM jobs WHERE id = $1", "short")
        .getBoolean(0)).isTrue();
    assertThat(row("SELECT lease_expires_at FROM jobs WHERE id = $1", "fresh").getOffsetDateTime(0))
        .isEqualTo(freshBefore);
    // AND both got the progress
    assertThat(row("SELECT progress ->> 'processed' FROM jobs WHERE id = $1", "fresh").getString(0)).isEqualTo("1");
  }

  @Test
  @DisplayName("progress flushes of a running job are HOT updates (no index entries) while its page has room")
  void flushesAreHeapOnly() throws Exception {
    // GIVEN a running job with a fresh lease and ten neighbours, all in one page with room for more
    // row versions (so no pruning is needed: the result does not depend on other sessions' snapshots)
    for (int i = 0; i < 10; i++) {
      runningJob("n" + i, "now() + interval '60 seconds'");
    }
    runningJob("hot", "now() + interval '60 seconds'");
    // WHEN its progress is flushed 12 times
    for (int i = 1; i <= 12; i++) {
      assertThat(flush("hot", i)).isEqualTo(1);
    }
    // THEN all 12 were HOT updates (with the lease rewritten by every flush, none is). A backend
    // reports its counts when it ends (close the pool); the statistics collector shows them
    // within about a second.
    get(pool.close());
    pool = Database.pool(vertx, url, 1);
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(250)).until(() ->
        row("SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'jobs'").getLong(0) >= 12);
    Row stats = row("SELECT n_tup_upd, n_tup_hot_upd, (SELECT count(DISTINCT (ctid::text::point)[0]) FROM jobs)"
        + " FROM pg_stat_user_tables WHERE relname = 'jobs'");
    assertThat(stats.getLong(2)).as("pages holding the rows").isEqualTo(1);
    assertThat(stats.getLong(1)).as("HOT updates of %s", stats.getLong(0)).isEqualTo(12);
  }

  @Test
  @DisplayName("a row another transaction holds is skipped at once, not waited for")
  void lockedRowIsSkipped() throws Exception {
    // GIVEN two running jobs, one of them locked by a transaction still open (a transition being committed)
    runningJob("held", "now() + interval '60 seconds'");
    runningJob("free", "now() + interval '60 seconds'");
    SqlConnection other = holdRow("held");
    try {
      // WHEN progress of both is flushed while that transaction holds the row
      Set<String> written = get(jobs.flushProgress(List.of(progress("held", 5), progress("free", 5))));

      // THEN the flush returned without waiting: the free job written, the held one not
      assertThat(written).containsExactly("free");
      assertThat(row("SELECT progress ->> 'processed' FROM jobs WHERE id = $1", "free").getString(0)).isEqualTo("5");
      assertThat(row("SELECT progress FROM jobs WHERE id = $1", "held").getValue(0)).isNull();

      // AND once the transaction ends, the next flush writes it; the other session could go on meanwhile
      get(other.query("UPDATE jobs SET updated_at = now() WHERE id = 'free'").execute());
      get(other.query("COMMIT").execute());
    } finally {
      other.close();
    }
    assertThat(flush("held", 6)).isEqualTo(1);
    assertThat(row("SELECT progress ->> 'processed' FROM jobs WHERE id = $1", "held").getString(0)).isEqualTo("6");
  }

  @Test
  @DisplayName("progress of a job that is no longer its owner's running attempt is not written")
  void finishedJobIsFenced() throws Exception {
    // GIVEN a job that completed and one taken over by another crawler
    runningJob("done", "now() + interval '60 seconds'");
    runningJob("taken", "now() + interval '60 seconds'");
    TestDatabase.exec(url, "UPDATE jobs SET status = 'completed', progress = '{\"processed\": 100}' WHERE id = 'done'");
    TestDatabase.exec(url, "UPDATE jobs SET lease_owner = 'crawler-2' WHERE id = 'taken'");
    // WHEN progress of the old lease of both arrives in a flush
    Set<String> written = get(jobs.flushProgress(List.of(progress("done", 7), progress("taken", 7))));
    // THEN neither is written
    assertThat(written).isEmpty();
    assertThat(row("SELECT progress ->> 'processed' FROM jobs WHERE id = $1", "done").getString(0)).isEqualTo("100");
    assertThat(row("SELECT progress FROM jobs WHERE id = $1", "taken").getValue(0)).isNull();
  }

  @Test
  @DisplayName("the periodic lease renewal skips a row another transaction holds instead of waiting for it")
  void renewalSkipsLockedRows() throws Exception {
    // GIVEN two jobs of one crawler with leases 5 s ahead, one of them held by an open transaction
    runningJob("held", "now() + interval '5 seconds'");
    runningJob("free", "now() + interval '5 seconds'");
    SqlConnection other = holdRow("held");
    try {
      // WHEN the crawler's leases are renewed by 60 s
      int renewed = get(jobs.renewLeases(List.of("crawler-1"), EXTEND_MS));

      // THEN it returned without waiting, having renewed the free one only
      assertThat(renewed).isEqualTo(1);
      assertThat(row("SELECT lease_expires_at > now() + interval '58 seconds' FROM jobs WHERE id = $1", "free")
          .getBoolean(0)).isTrue();
      get(other.query("COMMIT").execute());
    } finally {
      other.close();
    }
    assertThat(row("SELECT lease_expires_at < now() + interval '6 seconds' FROM jobs WHERE id = $1", "held")
        .getBoolean(0)).isTrue();
  }
}
