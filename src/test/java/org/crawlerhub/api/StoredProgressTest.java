package org.crawlerhub.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Stored progress as JobProgress")
class StoredProgressTest {

  @Test
  @DisplayName("a finished job's stored crawler progress answers in the JobProgress shape")
  void storedProgressHasTheJobProgressShape() {
    // GIVEN a completed job as the jobs service stores it
    JsonObject job = new JsonObject().put("id", "j1").put("status", "completed").put("attempt", 2)
        .put("leaseOwner", "crawler-1").put("startedAt", "2025-07-30T10:00:00Z").put("finishedAt", "2025-07-30T10:01:30Z")
        .put("updatedAt", "2025-07-30T10:01:30Z")
        .put("progress", new JsonObject().put("stage", "fetching").put("entityType", "issue").put("processed", 90)
            .put("total", 100).put("resumeState", new JsonObject().put("currentPage", 9))
            .put("finalCounts", new JsonObject().put("issue", 100)).put("updatedAt", "2025-07-30T10:01:29Z"));
    // WHEN it is shown as progress
    JsonObject p = StoredProgress.of(job);
    // THEN it has the SPEC §5 fields, finished
    assertThat(p.getString("jobId")).isEqualTo("j1");
    assertThat(p.getString("stage")).isEqualTo("completed");
    assertThat(p.getDouble("completion")).isEqualTo(1.0);
    assertThat(p.getLong("processed")).isEqualTo(90L);
    assertThat(p.getLong("total")).isEqualTo(100L);
    assertThat(p.getLong("elapsedMs")).isEqualTo(90_000L);
    assertThat(p.getJsonObject("entities")).isEqualTo(new JsonObject().put("issue", 100));
    assertThat(p.getJsonArray("milestones")).isEmpty();
    assertThat(p.getJsonObject("resumeState").getInteger("currentPage")).isEqualTo(9);
    assertThat(p.getString("updatedAt")).isEqualTo("2025-07-30T10:01:29Z");
  }

  @Test
  @DisplayName("a job that never reported progress has none")
  void noProgressIsNull() {
    assertThat(StoredProgress.of(new JsonObject().put("id", "j2").put("status", "queued"))).isNull();
    assertThat(StoredProgress.of(new JsonObject().put("id", "j3").put("progress", new JsonObject()))).isNull();
  }
}
