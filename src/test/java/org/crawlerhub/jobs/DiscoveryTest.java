package org.crawlerhub.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.crawlerhub.jobs.JobsHarness.errorCode;
import static org.crawlerhub.jobs.JobsHarness.spec;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DiscoveryTest {
  private JobsHarness hub;
  private String parent;

  @BeforeEach
  void start() {
    hub = JobsHarness.start(JobsHarness.baseConfig(TestDatabase.freshDatabase()));
    // A discovery job for account 7, leased to crawler-1 and running.
    parent = hub.enqueue(new JsonObject().put("entityType", "areas").put("entityId", "account-7")
        .put("gitlabUrl", "https://gitlab.acme.test").put("accessToken", "glpat-parent").put("accountId", "7")
        .put("command", "discover_namespaces")).get(0);
    hub.crawlerEvent("connected", "crawler-1");
    hub.request("crawler-1", 1);
    hub.command("crawler-1", "job_started", parent, new JsonObject());
  }

  @AfterEach
  void stop() {
    hub.close();
  }

  private static JsonObject discovered(int groups, int projects) {
    JsonArray items = new JsonArray();
    for (int i = 0; i < groups; i++) {
      items.add(new JsonObject().put("job_type", "crawl_group").put("entity_id", "g" + i)
          .put("namespace_path", "grp-" + i).put("entity_name", "Group " + i).put("priority", 2));
    }
    for (int i = 0; i < projects; i++) {
      items.add(new JsonObject().put("job_type", "crawl_project").put("entity_id", 1000 + i)
          .put("namespace_path", "grp-" + (i % 10) + "/proj-" + i).put("entity_name", "Project " + i)
          .put("priority", 3).put("estimated_size", new JsonObject().put("issues", i)));
    }
    return new JsonObject().put("discovered_jobs", items).put("discovery_summary",
        new JsonObject().put("total_groups", groups).put("total_projects", projects).put("hierarchy_depth", 2));
  }

  private long count(String sql) {
    return hub.rows(sql).get(0).getLong(0);
  }

  @Test
  @DisplayName("jobs_discovered creates areas, child jobs and the configured fan-out, inheriting from the parent, and a re-send creates nothing")
  void childrenAndFanOut() {
    // WHEN the lease holder reports 2 groups and 3 projects, twice
    JsonObject first = hub.command("crawler-1", "jobs_discovered", parent, discovered(2, 3));
    JsonObject second = hub.command("crawler-1", "jobs_discovered", parent, discovered(2, 3));

    // THEN 5 areas, 5 children and 3 × 5 fan-out jobs exist once, all spawned from the discovery job
    assertThat(first.getJsonArray("frames")).isEmpty();
    assertThat(second.getJsonArray("frames")).isEmpty();
    assertThat(count("SELECT count(*) FROM areas")).isEqualTo(5L);
    assertThat(count("SELECT count(*) FROM jobs WHERE spawned_from = '" + parent + "'")).isEqualTo(5L + 15L);
    assertThat(count("SELECT count(*) FROM jobs WHERE spawned_from = '" + parent + "' AND job_type = 'issues' AND entity_type = 'issue'")).isEqualTo(3L);
    Row child = hub.rows("SELECT * FROM jobs WHERE spawned_from = $1 AND job_type = 'crawl_project' ORDER BY entity_id LIMIT 1", parent).get(0);
    assertThat(child.getString("status")).isEqualTo("queued");
    assertThat(child.getString("entity_type")).isEqualTo("project");
    assertThat(child.getString("entity_id")).isEqualTo("grp-0/proj-0");
    assertThat(child.getString("gitlab_url")).isEqualTo("https://gitlab.acme.test");
    assertThat(child.getString("account_id")).isEqualTo("7");
    assertThat(child.getString("access_token")).isEqualTo("glpat-parent");
    assertThat(child.getInteger("priority")).isEqualTo(3);
    // AND the parent's progress records the summary and every created id
    JsonObject discovery = hub.job(parent).getJsonObject("progress").getJsonObject("discovery");
    assertThat(discovery.getJsonObject("summary").getInteger("total_projects")).isEqualTo(3);
    assertThat(discovery.getJsonArray("createdJobIds")).hasSize(20);
    // AND the children can be claimed like any job (highest priority first)
    JsonArray claimed = hub.request("crawler-2", 5);
    assertThat(claimed.getJsonObject(0).getString("accessToken")).isEqualTo("glpat-parent");
  }

  @Test
  @DisplayName("one jobs_discovered with 10,000 entries is stored in one batch per table, fast and idempotently")
  void tenThousandEntries() {
    // WHEN 10,000 discovered projects (each fanning out to 5 data jobs) arrive in one message, and once more
    long t0 = System.nanoTime();
    JsonObject reply = hub.command("crawler-1", "jobs_discovered", parent, discovered(0, 10_000));
    long firstMs = (System.nanoTime() - t0) / 1_000_000;
    JsonObject again = hub.command("crawler-1", "jobs_discovered", parent, discovered(0, 10_000));

    // THEN every entry became one area and one child job, once
    assertThat(reply.getJsonArray("frames")).as(reply.encode()).isEmpty();
    assertThat(again.getJsonArray("frames")).as(again.encode()).isEmpty();
    assertThat(count("SELECT count(*) FROM areas")).isEqualTo(10_000L);
    assertThat(count("SELECT count(*) FROM jobs WHERE spawned_from = '" + parent + "'")).isEqualTo(60_000L);
    assertThat(count("SELECT count(*) FROM job_events WHERE reason = 'discovered'")).isEqualTo(60_000L);
    assertThat(firstMs).as("10,000 entries took %d ms", firstMs).isLessThan(30_000L);
  }

  @Test
  @DisplayName("jobs_discovered is refused from a crawler without the lease and for a finished discovery job")
  void onlyFromTheLeaseHolder() {
    // WHEN another crawler reports, then the parent completes and its crawler reports again
    JsonObject foreign = hub.command("crawler-2", "jobs_discovered", parent, discovered(1, 0));
    hub.command("crawler-1", "job_completed", parent, new JsonObject().put("success", true).put("finalCounts", new JsonObject()));
    JsonObject late = hub.command("crawler-1", "jobs_discovered", parent, discovered(1, 0));
    JsonObject invalid = hub.command("crawler-1", "jobs_discovered", parent,
        new JsonObject().put("discovered_jobs", new JsonArray().add(new JsonObject().put("job_type", "nope"))));

    // THEN nothing was created
    assertThat(errorCode(foreign)).isEqualTo("STALE_LEASE");
    assertThat(errorCode(late)).isEqualTo("ILLEGAL_TRANSITION");
    assertThat(errorCode(invalid)).isEqualTo("VALIDATION_FAILED");
    assertThat(invalid.getJsonObject("error").getString("message")).contains("data.discovered_jobs[0].job_type")
        .contains("data.discovered_jobs[0].namespace_path").contains("data.discovery_summary");
    assertThat(count("SELECT count(*) FROM jobs WHERE spawned_from IS NOT NULL")).isZero();
  }

  @Test
  @DisplayName("discovery upserts entities as areas idempotently by gitlab id and type")
  void discoveryUpsertsAreas() {
    // GIVEN two discovered projects
    JsonObject data = new JsonObject().put("entityType", "project").put("entities", new JsonArray()
        .add(new JsonObject().put("id", 1).put("name", "One").put("path", "g/one").put("parentId", 9))
        .add(new JsonObject().put("id", "2").put("name", "Two").put("path", "g/two")));
    // WHEN they are reported, then reported again with one renamed
    assertThat(hub.command("crawler-1", "discovery", null, data).getJsonArray("frames")).isEmpty();
    data.getJsonArray("entities").getJsonObject(0).put("name", "One renamed");
    assertThat(hub.command("crawler-1", "discovery", null, data).getJsonArray("frames")).isEmpty();
    // THEN there are still two areas and the rename is applied
    assertThat(count("SELECT count(*) FROM areas WHERE type = 'project'")).isEqualTo(2L);
    assertThat(hub.rows("SELECT name, parent_id FROM areas WHERE gitlab_id = '1'").get(0).getString(0)).isEqualTo("One renamed");
  }
}
