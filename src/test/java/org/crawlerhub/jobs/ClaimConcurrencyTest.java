package org.crawlerhub.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.metrics.HubMetrics;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ClaimConcurrencyTest {

  @Test
  @DisplayName("8 crawlers requesting concurrently against 2,000 queued jobs receive every job exactly once, each response in priority order")
  void everyJobHandedOutExactlyOnce() throws Exception {
    // GIVEN 2,000 queued jobs with mixed priorities and no per-crawler cap in the way
    String url = TestDatabase.freshDatabase();
    TestDatabase.exec(url, """
        INSERT INTO jobs (id, status, priority, entity_type, entity_id, gitlab_url, access_token, created_at)
        SELECT 'job-' || g, 'queued', 1 + (g * 7919) % 5, 'project', 'p/' || g, 'https://gitlab', 'tok',
               now() - (g || ' milliseconds')::interval
        FROM generate_series(1, 2000) g""");
    try (JobsHarness hub = JobsHarness.start(JobsHarness.baseConfig(url).put("maxConcurrentJobs", 100_000))) {
      Map<String, Integer> priorities = new HashMap<>();
      hub.rows("SELECT id, priority FROM jobs").forEach(r -> priorities.put(r.getString(0), r.getInteger(1)));

      // WHEN 8 crawlers each send job_requests until they get an empty response
      ExecutorService crawlers = Executors.newFixedThreadPool(8);
      List<Future<List<JsonArray>>> results = new ArrayList<>();
      for (int c = 0; c < 8; c++) {
        String crawlerId = "crawler-" + c;
        results.add(crawlers.submit(() -> {
          List<JsonArray> responses = new ArrayList<>();
          while (true) {
            JsonArray jobs = hub.request(crawlerId, 5);
            if (jobs.isEmpty()) {
              return responses;
            }
            responses.add(jobs);
          }
        }));
      }
      List<String> handedOut = new ArrayList<>();
      List<JsonArray> allResponses = new ArrayList<>();
      for (Future<List<JsonArray>> f : results) {
        for (JsonArray response : f.get(90, TimeUnit.SECONDS)) {
          allResponses.add(response);
          response.forEach(j -> handedOut.add(((JsonObject) j).getString("id")));
        }
      }
      crawlers.shutdown();

      // THEN every job was handed out exactly once
      assertThat(handedOut).hasSize(2000).doesNotHaveDuplicates();
      assertThat(hub.rows("SELECT count(*) FROM jobs WHERE status = 'assigned'").get(0).getLong(0)).isEqualTo(2000L);
      assertThat(hub.rows("SELECT count(*) FROM job_events WHERE to_status = 'assigned'").get(0).getLong(0)).isEqualTo(2000L);
      // AND each response lists its jobs highest priority first
      for (JsonArray response : allResponses) {
        List<Integer> p = new ArrayList<>();
        response.forEach(j -> p.add(priorities.get(((JsonObject) j).getString("id"))));
        List<Integer> sorted = new ArrayList<>(p);
        sorted.sort(Collections.reverseOrder());
        assertThat(p).isEqualTo(sorted);
      }
    }
  }

  @Test
  @DisplayName("job_requests arriving while a claim statement runs are claimed together in the next one, each crawler within its cap, better jobs to earlier requests")
  void requestsArrivingDuringAClaimGoTogether() throws Exception {
    // GIVEN 100 queued jobs, priority falling with the number, a cap of 2 leases per crawler,
    // and crawler-9 already holding one
    String url = TestDatabase.freshDatabase();
    TestDatabase.exec(url, """
        INSERT INTO jobs (id, status, priority, entity_type, entity_id, gitlab_url, access_token)
        SELECT 'job-' || lpad(g::text, 3, '0'), 'queued', 1000 - g, 'project', 'p/' || g, 'https://gitlab', 'tok'
        FROM generate_series(1, 100) g""");
    TestDatabase.exec(url, "UPDATE jobs SET status = 'running', lease_owner = 'crawler-9', attempt = 1 WHERE id = 'job-100'");
    try (JobsHarness hub = JobsHarness.start(JobsHarness.baseConfig(url).put("maxConcurrentJobs", 2))) {
      double statementsBefore = claimStatements();
      // a transaction holding job_events makes the first claim statement wait in the database
      SqlConnection holder = JobsHarness.get(hub.pool.getConnection());
      Transaction tx = JobsHarness.get(holder.begin());
      JobsHarness.get(holder.query("LOCK TABLE job_events IN EXCLUSIVE MODE").execute());

      // WHEN crawler-0 asks, and crawlers 1..9 ask while its statement waits
      var first = hub.sendCommand("crawler-0", JobsHarness.envelope("job_request", null, new JsonObject().put("maxJobs", 3)));
      await().atMost(Duration.ofSeconds(20)).until(() -> hub.rows(
          "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'WITH req AS%'").get(0).getLong(0) == 1);
      List<io.vertx.core.Future<JsonObject>> later = new ArrayList<>();
      for (int c = 1; c <= 9; c++) {
        later.add(hub.sendCommand("crawler-" + c, JobsHarness.envelope("job_request", null, new JsonObject().put("maxJobs", 3))));
      }
      // (a maxJobs 0 request is answered without a claim: once it is, the nine are queued)
      assertThat(hub.request("crawler-x", 0)).isEmpty();
      JobsHarness.get(tx.rollback());
      holder.close();

      // THEN crawler-0 got its two jobs from the first statement and the nine their jobs from one more
      assertThat(ids(JobsHarness.get(first))).containsExactly("job-001", "job-002");
      List<List<String>> got = new ArrayList<>();
      for (io.vertx.core.Future<JsonObject> f : later) {
        got.add(ids(JobsHarness.get(f)));
      }
      assertThat(got.subList(0, 8)).containsExactly(List.of("job-003", "job-004"), List.of("job-005", "job-006"),
          List.of("job-007", "job-008"), List.of("job-009", "job-010"), List.of("job-011", "job-012"),
          List.of("job-013", "job-014"), List.of("job-015", "job-016"), List.of("job-017", "job-018"));
      assertThat(got.get(8)).containsExactly("job-019"); // crawler-9 already held one
      assertThat(claimStatements() - statementsBefore).isEqualTo(2.0);
      assertThat(hub.rows("SELECT lease_owner FROM jobs WHERE id = 'job-019'").get(0).getString(0)).isEqualTo("crawler-9");
      assertThat(hub.rows("SELECT count(*) FROM job_events WHERE to_status = 'assigned'").get(0).getLong(0)).isEqualTo(19L);
    }
  }

  private static double claimStatements() {
    var summary = HubMetrics.registry().find(HubMetrics.PERSISTENCE_BATCH_SIZE).tag("kind", "claim").summary();
    return summary == null ? 0 : summary.count();
  }

  private static List<String> ids(JsonObject reply) {
    List<String> out = new ArrayList<>();
    reply.getJsonArray("frames").getJsonObject(0).getJsonObject("data").getJsonArray("jobs")
        .forEach(j -> out.add(((JsonObject) j).getString("id")));
    return out;
  }
}
