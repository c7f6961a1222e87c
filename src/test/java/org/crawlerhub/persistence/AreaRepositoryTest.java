package org.crawlerhub.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link AreaRepository#UPSERT} against a real PostgreSQL, with concurrent discoveries of the same areas. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AreaRepositoryTest {
  private Vertx vertx;
  private Pool pool;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    pool = Database.pool(vertx, TestDatabase.freshDatabase(), 3);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.await(30, TimeUnit.SECONDS);
  }

  private static AreaRepository.Area group(String id) {
    return new AreaRepository.Area(id, "group", "g" + id, "groups/g" + id, null);
  }

  @Test
  @DisplayName("two discoveries upserting the same areas in opposite orders wait for each other instead of deadlocking")
  void overlappingUpsertsDoNotDeadlock() throws Exception {
    SqlConnection a = get(pool.getConnection());
    SqlConnection b = get(pool.getConnection());
    try {
      // GIVEN discovery A's transaction has upserted area 1 and is still open
      get(a.query("BEGIN").execute());
      get(AreaRepository.upsert(a, List.of(group("1")), "job-a"));

      // WHEN discovery B upserts areas 2 and 1 (in that order) and must wait for A on area 1
      get(b.query("BEGIN").execute());
      Future<Integer> bUpsert = AreaRepository.upsert(b, List.of(group("2"), group("1")), "job-b");
      await().atMost(Duration.ofSeconds(10)).until(() -> get(pool.preparedQuery(
          "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO areas%'")
          .execute()).iterator().next().getLong(0) == 1);
      // AND then A upserts area 2 and commits
      Future<Integer> aSecond = AreaRepository.upsert(a, List.of(group("2")), "job-a");

      // THEN neither is chosen as a deadlock victim: A goes on (B holds no area while it waits for area 1)
      assertThat(get(aSecond)).isEqualTo(1);
      get(a.query("COMMIT").execute());
      assertThat(get(bUpsert)).isEqualTo(2);
      get(b.query("COMMIT").execute());
    } finally {
      a.close();
      b.close();
    }
    assertThat(get(pool.preparedQuery("SELECT count(*) FROM areas WHERE gitlab_id = ANY($1)")
        .execute(Tuple.of(new String[] {"1", "2"}))).iterator().next().getLong(0)).isEqualTo(2);
  }
}
