package org.crawlerhub.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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
}
