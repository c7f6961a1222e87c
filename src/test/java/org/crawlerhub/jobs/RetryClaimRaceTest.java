package org.crawlerhub.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.crawlerhub.jobs.JobsHarness.errorCode;
import static org.crawlerhub.jobs.JobsHarness.get;
import static org.crawlerhub.jobs.JobsHarness.spec;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RetryClaimRaceTest extends JobsHarnessTest {
  @Test
  @DisplayName("a retried job claimed while the lease scan is still running keeps its new lease: the scan's late result does not make it stale")
  void claimAnsweredBeforeTheScanKeepsItsLease() {
    // GIVEN more failed jobs due for a retry than one scan statement moves, the last of them
    // held back: an open transaction has inserted the event row its retry will insert (filed under
    // another job, so the held job's row itself is not locked)
    int n = LeaseExpiryScanner.BATCH + 1;
    List<String> ids = hub.enqueue(IntStream.range(0, n).mapToObj(i -> spec("r/" + i, 1)).toArray(JsonObject[]::new));
    String last = ids.get(n - 1);
    String bystander = hub.enqueue(spec("r/bystander", 0)).get(0);
    SqlConnection holder = get(hub.pool.getConnection());
    Transaction tx = get(holder.begin());
    get(holder.preparedQuery("INSERT INTO job_events (job_id, from_status, to_status, attempt, reason, event_key) "
        + "VALUES ($1, 'failed', 'queued', 2, 'test', $2 || ':2:queued')").execute(Tuple.of(bystander, last)));
    hub.rows("UPDATE jobs SET status = 'failed', not_before = now() - interval '1 hour' WHERE id <> $1 AND id <> $2",
        last, bystander);
    hub.rows("UPDATE jobs SET status = 'failed', not_before = now() - interval '1 minute' WHERE id = $1", last);

    // WHEN the scan's first statement has requeued the others (its second one waits for the held
    // row) and a crawler claims one of them
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() ->
        hub.rows("SELECT count(*) FROM jobs WHERE status = 'queued' AND attempt = 2").get(0).getLong(0) == n - 1);
    hub.crawlerEvent("connected", "crawler-1");
    JsonArray claimed = hub.request("crawler-1", 1);
    String id = claimed.getJsonObject(0).getString("id");
    // ... and then the scan finishes
    get(tx.rollback());
    holder.close();
    await().atMost(Duration.ofSeconds(10)).until(() -> !hub.busEvents(last).isEmpty());

    // THEN the crawler works its job as usual
    assertThat(hub.busEvents(id)).extracting(e -> e.getString("to")).contains("queued", "assigned");
    JsonObject started = hub.command("crawler-1", "job_started", id, new JsonObject());
    assertThat(errorCode(started)).isNull();
    assertThat(started.getJsonArray("frames")).isEmpty();
    assertThat(hub.job(id).getString("status")).isEqualTo("running");
    assertThat(hub.job(id).getInteger("attempt")).isEqualTo(2);
  }
}
