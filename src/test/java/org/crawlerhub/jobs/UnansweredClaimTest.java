package org.crawlerhub.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.crawlerhub.jobs.JobsHarness.spec;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A claim that PostgreSQL committed but whose answer the hub never got (the connection broke in
 * between): its crawler was told "no jobs", so the jobs must not stay assigned to it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class UnansweredClaimTest extends JobsBehindProxyTest {
  @Test
  @DisplayName("jobs of a claim committed but never answered go back to the queue once, and the next request gets them")
  void unansweredClaimIsReleased() throws Exception {
    // GIVEN the jobs service talking to PostgreSQL through a proxy, and two queued jobs
    startBehindProxy(c -> c);
    List<String> ids = hub.enqueue(spec("u/one", 1), spec("u/two", 1));
    hub.crawlerEvent("connected", "crawler-1");

    // WHEN crawler-1 asks for two jobs and the claim's answer is lost after PostgreSQL committed it
    proxy.loseAnswerTo("WITH ORDINALITY AS r(crawler, want, ord)");
    JsonObject reply = hub.command("crawler-1", "job_request", null, new JsonObject().put("maxJobs", 2));

    // THEN the crawler was told there are no jobs (and why), as the hub cannot know better
    assertThat(proxy.fired()).isTrue();
    JsonArray frames = reply.getJsonArray("frames");
    assertThat(frames.getJsonObject(0).getJsonObject("data").getJsonArray("jobs")).isEmpty();
    assertThat(frames.getJsonObject(1).getString("type")).isEqualTo("error");
    // AND the claimed jobs go back to the queue once, as a new attempt, not kept for crawler-1
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
      for (String id : ids) {
        assertThat(hub.job(id).getString("status")).isEqualTo("queued");
        assertThat(hub.job(id).getInteger("attempt")).isEqualTo(2);
        assertThat(hub.eventsOf(id)).containsExactly("null->queued@1", "queued->assigned@1", "assigned->queued@2");
      }
    });
    assertThat(hub.rows("SELECT DISTINCT reason FROM job_events WHERE to_status = 'queued' AND from_status = 'assigned'"))
        .extracting(r -> r.getString(0)).containsExactly("claim_unanswered");
    // AND the next request hands them out
    assertThat(hub.request("crawler-1", 2)).extracting(j -> ((JsonObject) j).getString("id"))
        .containsExactlyInAnyOrderElementsOf(ids);
  }
}
