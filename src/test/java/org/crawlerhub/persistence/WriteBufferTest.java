package org.crawlerhub.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class WriteBufferTest {
  private Vertx vertx;
  private Pool pool;
  private String url;

  @BeforeEach
  void start() throws Exception {
    url = TestDatabase.freshDatabase();
    TestDatabase.exec(url, "CREATE TABLE wb_log (seq serial PRIMARY KEY, k text NOT NULL, v int NOT NULL)");
    vertx = Vertx.vertx();
    pool = Database.pool(vertx, url, 4);
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().await(30, TimeUnit.SECONDS);
  }

  private <T> T onContext(java.util.function.Supplier<Future<T>> work) throws Exception {
    CompletableFuture<T> out = new CompletableFuture<>();
    vertx.runOnContext(v -> work.get().onComplete(ar -> {
      if (ar.succeeded()) {
        out.complete(ar.result());
      } else {
        out.completeExceptionally(ar.cause());
      }
    }));
    return out.get(30, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("writes with the same key commit in submission order, and a permanently failing write is dropped alone")
  void orderAndIsolation() throws Exception {
    // GIVEN a buffer with 2 lanes and batches of 8
    List<Integer> failed = new ArrayList<>();
    onContext(() -> {
      WriteBuffer buffer = new WriteBuffer(vertx, pool, 1000, 2, 8, 1000);
      List<Future<?>> all = new ArrayList<>();
      // WHEN 100 writes for 4 keys are submitted, number 50 being invalid SQL
      for (int i = 0; i < 100; i++) {
        int v = i;
        String key = "k" + (i % 4);
        String sql = i == 50 ? "INSERT INTO wb_log (k, v) VALUES ($1, $2, $3)" : "INSERT INTO wb_log (k, v) VALUES ($1, $2)";
        Tuple args = i == 50 ? Tuple.of(key, v, 0) : Tuple.of(key, v);
        WriteBuffer.Submission<Integer> s = buffer.submit(key, conn -> conn.preparedQuery(sql).execute(args).map(rs -> v));
        all.add(s.committed().onFailure(err -> failed.add(v)));
      }
      return Future.join(all).transform(x -> Future.succeededFuture(buffer.size()));
    });

    // THEN 99 rows are there, each key's values ascending, and only write 50 failed
    assertThat(failed).containsExactly(50);
    List<Row> rows = new ArrayList<>();
    pool.query("SELECT k, v FROM wb_log ORDER BY seq").execute().await(30, TimeUnit.SECONDS).forEach(rows::add);
    assertThat(rows).hasSize(99);
    for (String key : List.of("k0", "k1", "k2", "k3")) {
      List<Integer> values = rows.stream().filter(r -> key.equals(r.getString(0))).map(r -> r.getInteger(1)).toList();
      assertThat(values).isSorted();
    }
  }

  @Test
  @DisplayName("a full buffer refuses new writes instead of growing")
  void bounded() throws Exception {
    Boolean refused = onContext(() -> {
      WriteBuffer buffer = new WriteBuffer(vertx, pool, 2, 1, 8, 1000);
      buffer.submit("a", conn -> vertx.timer(200).mapEmpty());
      buffer.submit("a", conn -> Future.succeededFuture());
      try {
        buffer.submit("a", conn -> Future.succeededFuture());
        return Future.succeededFuture(false);
      } catch (WriteBuffer.BufferFullException e) {
        return Future.succeededFuture(true);
      }
    });
    assertThat(refused).isTrue();
  }

  @Test
  @DisplayName("a batch PostgreSQL aborts as a deadlock victim is run again at once, without the outage mode")
  void deadlockVictimIsRunAgain() throws Exception {
    // GIVEN a write whose first transaction is aborted with SQLSTATE 40P01 (deadlock detected)
    AtomicInteger attempts = new AtomicInteger();
    boolean[] healthyAfterFailure = new boolean[1];
    WriteBuffer.Submission<Integer> s = onContext(() -> {
      WriteBuffer buffer = new WriteBuffer(vertx, pool, 100, 1, 8, 60_000);
      WriteBuffer.Submission<Integer> sub = buffer.submit("k", conn -> {
        if (attempts.incrementAndGet() == 1) {
          return conn.query("DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = '40P01'; END $$").execute()
              .map(rs -> 0);
        }
        healthyAfterFailure[0] = buffer.healthy();
        return conn.preparedQuery("INSERT INTO wb_log (k, v) VALUES ($1, $2)").execute(Tuple.of("k", 1)).map(rs -> 1);
      });
      return sub.committed().map(v -> sub);
    });

    // THEN it ran twice and committed, the buffer never left its healthy mode and the write was not
    // acknowledged early, as it is while the database is away
    assertThat(attempts.get()).isEqualTo(2);
    assertThat(healthyAfterFailure[0]).isTrue();
    assertThat(s.delayed().isComplete()).isFalse();
    assertThat(pool.query("SELECT count(*) FROM wb_log").execute().await(30, TimeUnit.SECONDS)
        .iterator().next().getLong(0)).isEqualTo(1);
  }

  @Test
  @DisplayName("the writes of a batch are sent together, not each after the previous one answered, and still run in order")
  void batchIsPipelined() throws Exception {
    // GIVEN a counter row and a one-lane buffer busy with a first write (x + 100)
    TestDatabase.exec(url, "CREATE TABLE wb_counter (k text PRIMARY KEY, x int NOT NULL); INSERT INTO wb_counter VALUES ('c', 0)");
    CompletableFuture<Boolean> thirdSentBeforeSecondAnswered = new CompletableFuture<>();
    CompletableFuture<Integer> done = new CompletableFuture<>();
    vertx.runOnContext(v -> {
      WriteBuffer buffer = new WriteBuffer(vertx, pool, 100, 1, 8, 1000);
      buffer.submit("c", conn -> update(conn, "UPDATE wb_counter SET x = x + 100 WHERE k = 'c' RETURNING x"));
      // WHEN two more writes wait behind it, so they form the next batch: x + 1, then x * 2
      List<Future<Integer>> second = new ArrayList<>(); // the second's statement (not its commit)
      buffer.submit("c", conn -> {
        second.add(update(conn, "UPDATE wb_counter SET x = x + 1 WHERE k = 'c' RETURNING x"));
        return second.get(0);
      });
      buffer.submit("c", conn -> {
        thirdSentBeforeSecondAnswered.complete(!second.get(0).isComplete());
        return update(conn, "UPDATE wb_counter SET x = x * 2 WHERE k = 'c' RETURNING x");
      }).committed().onSuccess(done::complete).onFailure(done::completeExceptionally);
    });

    // THEN the third write went out before the second had answered
    assertThat(thirdSentBeforeSecondAnswered.get(30, TimeUnit.SECONDS)).isTrue();
    // AND PostgreSQL ran them in order: (100 + 1) * 2
    assertThat(done.get(30, TimeUnit.SECONDS)).isEqualTo(202);
  }

  private static Future<Integer> update(io.vertx.sqlclient.SqlConnection conn, String sql) {
    return conn.query(sql).execute().map(rs -> rs.iterator().next().getInteger(0));
  }
}
