package org.crawlerhub.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.bus.Addresses;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.openqa.selenium.By;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real headless Chromium, fed by a small simulated fleet publishing on the
 * bus exactly what the gateway, router, jobs and progress services publish.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
@DisplayName("The dashboard in a headless browser")
class DashboardBrowserTest {
  static final String[] CRAWLERS = {"crawler-berlin", "crawler-dublin", "crawler-lisbon", "crawler-oslo"};
  static final String[][] JOBS = {
      {"job-7f3a", "platform/backend/api-gateway", "project", "crawler-berlin", "5200", "41"},
      {"job-81c2", "platform/frontend/web-console", "project", "crawler-berlin", "3100", "33"},
      {"job-9d04", "data/warehouse/etl-pipelines", "merge_request", "crawler-dublin", "8800", "57"},
      {"job-a2e7", "infra/terraform-modules", "issue", "crawler-lisbon", "2400", "24"},
      {"job-b5f1", "mobile/ios-app", "commit", "crawler-lisbon", "12600", "72"},
      {"job-c630", "security/scanners", "pipeline", "crawler-oslo", "1900", "18"},
  };

  HubHttpFixture hub;
  ChromeDriver driver;
  long simTimer = -1;
  int tick;

  @BeforeEach
  void start() throws Exception {
    HeadlessChrome.assumeInstalled();
    hub = HubHttpFixture.withToken();
    driver = HeadlessChrome.start();
  }

  @AfterEach
  void stop() throws Exception {
    if (driver != null) {
      driver.quit();
    }
    if (hub != null) {
      if (simTimer >= 0) {
        hub.vertx.cancelTimer(simTimer);
      }
      hub.close();
    }
  }

  @Test
  @DisplayName("asks for the token once, then shows crawlers, progress bars and a throughput chart that update live")
  void dashboardShowsTheFleetLive() throws Exception {
    // GIVEN a hub (node-a of a two-node cluster) with four connected crawlers and six running jobs
    hub.services.cluster = new JsonObject().put("connections", 6).put("activeConnections", 6)
        .put("nodes", new JsonArray()
            .add(new JsonObject().put("nodeId", "node-a").put("activeConnections", 4).put("connections", 4))
            .add(new JsonObject().put("nodeId", "node-b").put("activeConnections", 2).put("connections", 2)));
    seedFleet();
    // The page re-renders live, so an element found a moment ago may have been replaced: retry then.
    WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30), Duration.ofMillis(100));
    wait.ignoring(StaleElementReferenceException.class);

    // WHEN an operator opens the dashboard of a token-protected hub
    // THEN it asks for the token, and unlocks with it
    openAndLogIn(wait);

    // AND the header names this node and the cluster, each node's crawlers in its tooltip
    wait.until(d -> d.findElement(By.id("node-id")).getText().equals("node node-a · cluster of 2"));
    assertThat(driver.findElement(By.id("node-id")).getAttribute("title"))
        .isEqualTo("node-a: 4 crawler(s)\nnode-b: 2 crawler(s)");

    // AND the snapshot shows every crawler and running job
    wait.until(d -> d.findElements(By.cssSelector("tr[data-crawler]")).size() == CRAWLERS.length);
    wait.until(d -> d.findElements(By.cssSelector("li[data-job]")).size() == JOBS.length);

    // WHEN the fleet works (progress, heartbeats, aggregate, errors stream in)
    simTimer = hub.vertx.setPeriodic(250, id -> simulateTick());
    // THEN progress bars fill and move
    String bar = "li[data-job='job-7f3a'] .bar span";
    wait.until(d -> widthPercent(d.findElement(By.cssSelector(bar))) > 0);
    double before = widthPercent(driver.findElement(By.cssSelector(bar)));
    wait.until(d -> widthPercent(d.findElement(By.cssSelector(bar))) > before);
    wait.until(d -> d.findElement(By.cssSelector("li[data-job='job-7f3a'] .stats")).getText().contains("ETA"));
    // AND the chart draws a line that keeps changing
    wait.until(d -> !d.findElements(By.id("throughput-line")).isEmpty());
    String path = wait.until(d -> d.findElement(By.id("throughput-line")).getAttribute("d"));
    wait.until(d -> !path.equals(d.findElement(By.id("throughput-line")).getAttribute("d")));
    // AND heartbeats, a completed job and errors/alerts reach the page
    wait.until(d -> d.findElement(By.cssSelector("tr[data-crawler='crawler-dublin'] .badge")).getText()
        .equals("processing"));
    wait.until(d -> !d.findElements(By.cssSelector("#alerts-list .alert")).isEmpty());
    wait.until(d -> d.findElements(By.cssSelector("#errors-list .err")).size() >= 3);
    assertThat(driver.findElement(By.id("kpi-crawlers")).getText()).isEqualTo("4");
    // AND lifecycle events move jobs: one completes (green, full bar), a new one appears with its details
    wait.until(d -> d.findElement(By.cssSelector("li[data-job='job-c630'] .bar")).getAttribute("class").contains("done"));
    wait.until(d -> d.findElement(By.cssSelector("li[data-job='job-d901'] .title")).getText()
        .equals("security/secret-detection"));
    // AND the late older event of job-c630 (delivered before job-d901's) did not move it back
    assertThat(driver.findElement(By.cssSelector("li[data-job='job-c630'] .bar")).getAttribute("class")).contains("done");

    // WHEN enough history has been drawn THEN a screenshot documents the dashboard
    // (-Ddashboard.screenshot=docs/dashboard.png refreshes the README's picture with a longer history;
    // by default the shot goes to target/ so a test run leaves the tracked files alone)
    String target = System.getProperty("dashboard.screenshot", "target/dashboard.png");
    int samples = target.startsWith("target") ? 8 : 40;
    new WebDriverWait(driver, Duration.ofSeconds(60), Duration.ofMillis(250))
        .ignoring(StaleElementReferenceException.class).until(d -> Integer.parseInt(d.findElement(By.id("throughput-chart")).getAttribute("data-samples")) >= samples);
    assertThat(HeadlessChrome.screenshot(driver, target)).isGreaterThan(10_000);
  }

  @Test
  @DisplayName("a fleet of thousands: the first 50 crawlers, trouble first, the rest counted, and a filter finds any one")
  void thousandsOfCrawlers() throws Exception {
    // GIVEN 3,000 connected crawlers, one of them reporting an error
    List<JsonObject> fleet = new ArrayList<>();
    String now = Instant.now().toString();
    for (int i = 0; i < 3000; i++) {
      String id = "crawler-" + i;
      fleet.add(new JsonObject().put("crawlerId", id).put("connectionId", "conn-" + id).put("transport", "unix")
          .put("connectedAt", now).put("lastHeartbeat", now).put("systemStatus", i == 2718 ? "error" : "idle")
          .put("activeJobs", 0));
    }
    hub.services.connections.addAll(fleet);
    WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30), Duration.ofMillis(100));
    wait.ignoring(StaleElementReferenceException.class);

    // WHEN an operator opens the dashboard
    openAndLogIn(wait);

    // THEN every crawler is counted, 50 rows are drawn and the rest summed up in one line
    wait.until(d -> d.findElement(By.id("crawlers-count")).getText().equals("3,000 online"));
    assertThat(driver.findElement(By.id("kpi-crawlers")).getText()).isEqualTo("3,000");
    wait.until(d -> d.findElements(By.cssSelector("tr[data-crawler]")).size() == 50);
    assertThat(driver.findElement(By.cssSelector("#crawlers-body td.more")).getText())
        .startsWith("… and 2,950 more");
    // AND the crawler in trouble comes first, the others in natural order (crawler-9 before crawler-10)
    List<String> shown = driver.findElements(By.cssSelector("tr[data-crawler]")).stream()
        .map(e -> e.getAttribute("data-crawler")).toList();
    assertThat(shown.get(0)).isEqualTo("crawler-2718");
    assertThat(shown.subList(1, 12)).containsExactly("crawler-0", "crawler-1", "crawler-2", "crawler-3", "crawler-4",
        "crawler-5", "crawler-6", "crawler-7", "crawler-8", "crawler-9", "crawler-10");

    // WHEN the operator types part of an id into the filter
    driver.findElement(By.id("crawlers-filter")).sendKeys("crawler-299");
    // THEN only the matching crawlers are listed, and counted
    wait.until(d -> d.findElements(By.cssSelector("tr[data-crawler]")).size() == 11);
    assertThat(driver.findElement(By.id("crawlers-count")).getText()).isEqualTo("3,000 online · 11 match");
    assertThat(driver.findElements(By.cssSelector("#crawlers-body td.more"))).isEmpty();
    assertThat(HeadlessChrome.screenshot(driver, "target/dashboard-fleet.png")).isGreaterThan(10_000);
  }

  @Test
  @DisplayName("hundreds of running jobs: 12 shown, the rest counted, details asked for only for the rows on screen")
  void hundredsOfRunningJobs() {
    // GIVEN 400 running jobs (the page's snapshot lists the newest 200)
    String now = Instant.now().toString();
    for (int i = 0; i < 400; i++) {
      String id = String.format("job-%04d", i);
      hub.services.jobs.put(id, new JsonObject().put("id", id).put("status", "running").put("priority", 1)
          .put("entityType", "project").put("entityId", "group/project-" + i).put("fullPath", "group/project-" + i)
          .put("jobType", "crawl_project").put("attempt", 1).put("maxAttempts", 4).put("leaseOwner", "crawler-" + (i % 40))
          .put("createdAt", now).put("updatedAt", now).put("startedAt", now));
      hub.services.jobEvents.put(id, new JsonArray());
    }
    WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(30), Duration.ofMillis(100));
    wait.ignoring(StaleElementReferenceException.class);
    openAndLogIn(wait);
    wait.until(d -> d.findElement(By.id("jobs-count")).getText().equals("200 active"));

    // WHEN progress streams in for all of them
    for (int i = 0; i < 400; i++) {
      hub.vertx.eventBus().publish(Addresses.PROGRESS_JOBS, new JsonObject().put("jobId", String.format("job-%04d", i))
          .put("crawlerId", "crawler-" + (i % 40)).put("stage", "fetching").put("processed", 10 + i).put("total", 1000)
          .put("completion", (10 + i) / 1000.0).put("rate", 5.0));
    }

    // THEN all 400 are counted, 12 drawn, and the page did not ask the hub for the other jobs' details
    wait.until(d -> d.findElement(By.id("jobs-count")).getText().equals("400 active"));
    wait.until(d -> d.findElements(By.cssSelector("li[data-job]")).size() == 12);
    wait.until(d -> d.findElement(By.cssSelector("#jobs-list li.more")).getText().equals("… and 388 more"));
    // (and keeps it so: any detail requests the page would make come within a couple of seconds)
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
        .until(() -> hub.services.jobGets.get() <= 12);
  }

  private void openAndLogIn(WebDriverWait wait) {
    driver.get(hub.baseUrl() + "/");
    WebElement token = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("login-token")));
    token.sendKeys(HubHttpFixture.TOKEN);
    driver.findElement(By.cssSelector("#login-form button")).click();
    wait.until(ExpectedConditions.attributeToBe(By.id("live-state"), "data-state", "live"));
    wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("login")));
  }

  static double widthPercent(WebElement e) {
    String style = e.getAttribute("style");
    if (style == null || !style.contains("width")) {
      return 0;
    }
    String w = style.replaceAll(".*width:\\s*([0-9.]+)%.*", "$1");
    return Double.parseDouble(w);
  }

  // ------------------------------------------------------------------------------------------
  // The simulated fleet

  private final List<double[]> progress = new ArrayList<>();

  private void seedFleet() throws Exception {
    for (String c : CRAWLERS) {
      hub.services.connect(c).await(10, TimeUnit.SECONDS);
    }
    for (String[] j : JOBS) {
      String now = Instant.now().toString();
      hub.services.jobs.put(j[0], new JsonObject().put("id", j[0]).put("status", "running").put("priority", 1)
          .put("entityType", j[2]).put("entityId", j[1]).put("fullPath", j[1]).put("jobType", "crawl_project")
          .put("gitlabUrl", "https://gitlab.example.com").put("attempt", 1).put("maxAttempts", 4)
          .put("leaseOwner", j[3]).put("createdAt", now).put("updatedAt", now).put("startedAt", now));
      hub.services.jobEvents.put(j[0], new io.vertx.core.json.JsonArray());
      double total = Double.parseDouble(j[4]);
      progress.add(new double[] {total * (0.08 + 0.12 * progress.size()), total, Double.parseDouble(j[5])});
    }
    String now = Instant.now().toString();
    hub.services.jobs.put("job-d901", new JsonObject().put("id", "job-d901").put("status", "queued")
        .put("entityType", "project").put("entityId", "security/secret-detection").put("fullPath", "security/secret-detection")
        .put("jobType", "crawl_project").put("attempt", 1).put("maxAttempts", 4).put("createdAt", now).put("updatedAt", now));
    hub.services.jobEvents.put("job-d901", new io.vertx.core.json.JsonArray());
    hub.services.aggregate = aggregate(0);
    hub.services.errors.add(new JsonObject().put("id", "e-0").put("timestamp", Instant.now().minusSeconds(95).toString())
        .put("category", "network").put("severity", "medium").put("code", "INTERNAL")
        .put("message", "GitLab API answered 502 Bad Gateway, retrying").put("crawlerId", "crawler-oslo"));
  }

  private JsonObject aggregate(int t) {
    double throughput = progress.stream().mapToDouble(p -> p[2]).sum() * (1 + 0.25 * Math.sin(t / 9.0));
    return new JsonObject().put("totalJobs", 1248).put("queuedJobs", 806 - t / 8).put("activeJobs", JOBS.length)
        .put("completedJobs", 419 + t / 8).put("failedJobs", 12).put("deadJobs", 5)
        .put("overallCompletion", 0.36 + t * 0.0004).put("combinedThroughput", throughput)
        .put("estimatedTimeRemaining", 2L * 3600 * 1000 + 17 * 60 * 1000 - t * 250L)
        .put("connectedCrawlers", CRAWLERS.length).put("updatedAt", Instant.now().toString());
  }

  /** One 250 ms step of the fleet; runs on an event loop, never blocks. */
  private void simulateTick() {
    int t = tick++;
    var bus = hub.vertx.eventBus();
    if (t == 0) {
      bus.publish(Addresses.CRAWLER_EVENTS, new JsonObject().put("event", "authenticated")
          .put("crawlerId", "crawler-dublin").put("connectionId", "conn-crawler-dublin").put("transport", "unix")
          .put("at", Instant.now().toString()).put("version", "1.4.2"));
    }
    for (int i = 0; i < JOBS.length; i++) {
      if (i == 5 && t >= 12) {
        continue; // job-c630 has completed
      }
      double[] p = progress.get(i);
      double rate = p[2] * (0.8 + 0.4 * Math.abs(Math.sin((t + i * 7) / 6.0)));
      p[0] = Math.min(p[1], p[0] + rate * 0.25);
      long eta = (long) ((p[1] - p[0]) / rate * 1000);
      bus.publish(Addresses.PROGRESS_JOBS, new JsonObject().put("jobId", JOBS[i][0]).put("stage", "fetching")
          .put("processed", (long) p[0]).put("total", (long) p[1]).put("completion", p[0] / p[1])
          .put("rate", rate).put("etaMs", eta).put("elapsedMs", 60_000 + t * 250L)
          .put("updatedAt", Instant.now().toString()));
    }
    JsonArray beats = new JsonArray(); // as a router partition batches them
    for (int i = 0; i < CRAWLERS.length; i++) {
      String c = CRAWLERS[i];
      int active = (int) java.util.Arrays.stream(JOBS).filter(j -> j[3].equals(c)).count();
      beats.add(new JsonObject().put("connectionId", "conn-" + c).put("crawlerId", c).put("envelope",
          new JsonObject().put("type", "heartbeat").put("timestamp", Instant.now().toString()).put("data",
              new JsonObject().put("activeJobs", active).put("totalProcessed", 10_000 + t * 40)
                  .put("systemStatus", "processing"))));
    }
    bus.publish(Addresses.CRAWLER_HEARTBEATS, new JsonObject().put("heartbeats", beats));
    bus.publish(Addresses.PROGRESS_AGGREGATE, aggregate(t));
    if (t == 12) {
      // job-c630 finishes and crawler-oslo picks up a new job
      bus.publish(Addresses.PROGRESS_JOBS, new JsonObject().put("jobId", "job-c630").put("stage", "completed")
          .put("processed", 1900).put("total", 1900).put("completion", 1.0).put("rate", 0.0)
          .put("updatedAt", Instant.now().toString()));
      progress.get(5)[0] = progress.get(5)[1];
      bus.publish(Addresses.JOB_EVENTS, jobEvent("job-c630", "running", "completed", "crawler-oslo"));
      // an older event of the same attempt arriving late (published after the newer one)
      bus.publish(Addresses.JOB_EVENTS, jobEvent("job-c630", "assigned", "running", "crawler-oslo"));
      bus.publish(Addresses.JOB_EVENTS, jobEvent("job-d901", "queued", "assigned", "crawler-oslo"));
      bus.publish(Addresses.JOB_EVENTS, jobEvent("job-d901", "assigned", "running", "crawler-oslo"));
    }
    if (t > 12) {
      double done = Math.min(2600, (t - 12) * 6.5);
      bus.publish(Addresses.PROGRESS_JOBS, new JsonObject().put("jobId", "job-d901").put("stage", "fetching")
          .put("processed", (long) done).put("total", 2600).put("completion", done / 2600).put("rate", 26.0)
          .put("etaMs", (long) ((2600 - done) / 26.0 * 1000)).put("updatedAt", Instant.now().toString()));
    }
    if (t == 6) {
      bus.publish(Addresses.ERRORS, error("job_processing", "medium", "STALE_LEASE",
          "job_progress for job-5e11 rejected: lease belongs to attempt 3", "crawler-lisbon"));
    }
    if (t == 10) {
      bus.publish(Addresses.ERRORS, error("message_validation", "low", "VALIDATION_FAILED",
          "data.processed: required number", "crawler-oslo"));
    }
    if (t == 14) {
      bus.publish(Addresses.ERRORS, error("database", "high", "INTERNAL",
          "write buffer at 80% while PostgreSQL is unreachable", null));
      bus.publish(Addresses.ERRORS_ALERTS, new JsonObject().put("type", "threshold_exceeded")
          .put("category", "database").put("count", 134).put("threshold", 100).put("windowMs", 60_000)
          .put("at", Instant.now().toString()));
    }
  }

  private static JsonObject jobEvent(String jobId, String from, String to, String crawler) {
    return new JsonObject().put("jobId", jobId).put("from", from).put("to", to).put("attempt", 1)
        .put("maxAttempts", 4).put("crawlerId", crawler).put("at", Instant.now().toString()).put("reason", "simulated");
  }

  private static JsonObject error(String category, String severity, String code, String message, String crawler) {
    return new JsonObject().put("id", "e-" + code).put("timestamp", Instant.now().toString()).put("category", category)
        .put("severity", severity).put("code", code).put("message", message).put("crawlerId", crawler);
  }
}
