package org.crawlerhub.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.crawlerhub.testing.LineClient;
import org.crawlerhub.testing.TestDatabase;
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
 * The dashboard in headless Chromium against a REAL hub: jobs enqueued over HTTP, a small fleet of
 * crawlers on the Unix socket claiming them and streaming realistic {@code job_progress}, so the
 * page shows exactly what the gateway, router, jobs, progress and error services publish.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
@DisplayName("The dashboard of a real hub in a headless browser")
class DashboardAgainstHubTest {
  static final String TOKEN = "dashboard-admin-token-42";
  static final String[] CRAWLERS = {"crawler-berlin", "crawler-dublin", "crawler-lisbon", "crawler-oslo"};
  static final String[][] JOBS = {
      {"platform/backend/api-gateway", "issue"}, {"platform/frontend/web-console", "merge_request"},
      {"data/warehouse/etl-pipelines", "commit"}, {"infra/terraform-modules", "issue"},
      {"mobile/ios-app", "commit"}, {"security/scanners", "pipeline"}, {"security/secret-detection", "issue"},
      {"platform/backend/billing", "merge_request"}, {"ml/feature-store", "commit"}, {"docs/handbook", "issue"},
      {"infra/k8s-operators", "pipeline"}, {"mobile/android-app", "branch"},
      {"platform/backend/search", "issue"}, {"data/lake/ingestion", "commit"}, {"design/system-ui", "merge_request"},
      {"infra/observability", "pipeline"}, {"platform/backend/auth-service", "commit"}, {"ml/model-serving", "issue"},
  };

  RealHub hub;
  ChromeDriver driver;
  final AtomicBoolean running = new AtomicBoolean(true);
  final List<Thread> fleet = new ArrayList<>();
  final List<Throwable> fleetErrors = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    HeadlessChrome.assumeInstalled();
    hub = RealHub.start(RealHub.config(TestDatabase.freshDatabase(), TOKEN));
    driver = HeadlessChrome.start();
  }

  @AfterEach
  void stop() throws Exception {
    running.set(false);
    for (Thread t : fleet) {
      t.join(10_000);
    }
    if (driver != null) {
      driver.quit();
    }
    if (hub != null) {
      hub.close();
    }
  }

  @Test
  @DisplayName("shows the real fleet's crawlers, queue counts, moving progress bars and a throughput chart")
  void dashboardShowsTheRealFleet() throws Exception {
    // GIVEN a hub with a dozen queued jobs and four crawlers working through them
    JsonArray specs = new JsonArray();
    for (int i = 0; i < JOBS.length; i++) {
      specs.add(new JsonObject().put("entityType", "project").put("entityId", JOBS[i][0]).put("fullPath", JOBS[i][0])
          .put("jobType", "crawl_project").put("gitlabUrl", "https://gitlab.example.com")
          .put("accessToken", "glpat-dashboard").put("priority", JOBS.length - i));
    }
    assertThat(hub.post("/api/jobs", specs).status()).isEqualTo(201);
    for (int i = 0; i < CRAWLERS.length; i++) {
      startCrawler(CRAWLERS[i], i);
    }
    WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(40), Duration.ofMillis(100));
    wait.ignoring(StaleElementReferenceException.class);

    // WHEN an operator opens the dashboard and gives the token
    driver.get("http://127.0.0.1:" + hub.port() + "/");
    WebElement token = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("login-token")));
    token.sendKeys(TOKEN);
    driver.findElement(By.cssSelector("#login-form button")).click();
    wait.until(ExpectedConditions.attributeToBe(By.id("live-state"), "data-state", "live"));

    // THEN every real crawler is listed, busy with jobs
    wait.until(d -> d.findElements(By.cssSelector("tr[data-crawler]")).size() == CRAWLERS.length);
    for (String c : CRAWLERS) {
      wait.until(d -> d.findElement(By.cssSelector("tr[data-crawler='" + c + "'] .badge")).getText().equals("processing"));
    }
    wait.until(d -> d.findElement(By.id("kpi-crawlers")).getText().equals(String.valueOf(CRAWLERS.length)));
    // AND running jobs show their paths with progress bars that fill up
    wait.until(d -> d.findElements(By.cssSelector("li[data-job]")).size() >= 4);
    String first = driver.findElements(By.cssSelector("li[data-job]")).get(0).getAttribute("data-job");
    String bar = "li[data-job='" + first + "'] .bar span";
    wait.until(d -> widthPercent(d.findElement(By.cssSelector(bar))) > 0);
    double before = widthPercent(driver.findElement(By.cssSelector(bar)));
    wait.until(d -> widthPercent(d.findElement(By.cssSelector(bar))) > before);
    wait.until(d -> d.findElements(By.cssSelector("li[data-job] .title")).stream()
        .anyMatch(t -> t.getText().startsWith("platform/") || t.getText().startsWith("data/")));
    wait.until(d -> d.findElements(By.cssSelector("li[data-job] .stats")).stream().anyMatch(s -> s.getText().contains("/s")));
    // AND the queue counts come from the real aggregate
    wait.until(d -> d.findElement(By.id("queue-total")).getText().equals(JOBS.length + " jobs"));
    wait.until(d -> !d.findElement(By.id("kpi-queued")).getText().equals("–"));
    wait.until(d -> Integer.parseInt(d.findElement(By.id("kpi-running")).getText()) >= 1);
    // AND the throughput is measured and charted
    wait.until(d -> !d.findElement(By.id("kpi-throughput")).getText().startsWith("0"));
    wait.until(d -> !d.findElements(By.id("throughput-line")).isEmpty());
    String path = wait.until(d -> d.findElement(By.id("throughput-line")).getAttribute("d"));
    wait.until(d -> !path.equals(d.findElement(By.id("throughput-line")).getAttribute("d")));
    // AND the bad line a crawler sent shows among recent errors, and a job completes
    wait.until(d -> d.findElements(By.cssSelector("#errors-list .err")).stream()
        .anyMatch(e -> e.getText().contains("INVALID_JSON")));
    new WebDriverWait(driver, Duration.ofSeconds(90), Duration.ofMillis(250)).ignoring(StaleElementReferenceException.class)
        .until(d -> Integer.parseInt(d.findElement(By.id("kpi-completed")).getText()) >= 1);

    // WHEN enough history has been drawn THEN a screenshot documents the dashboard
    // (-Ddashboard.screenshot=docs/dashboard.png refreshes the README's picture with a longer history)
    String target = System.getProperty("dashboard.screenshot", "target/dashboard-real.png");
    int samples = target.startsWith("target") ? 5 : 45;
    new WebDriverWait(driver, Duration.ofSeconds(90), Duration.ofMillis(250))
        .ignoring(StaleElementReferenceException.class).until(d -> Integer.parseInt(
            d.findElement(By.id("throughput-chart")).getAttribute("data-samples")) >= samples);
    assertThat(HeadlessChrome.screenshot(driver, target)).isGreaterThan(10_000);
    synchronized (fleetErrors) {
      assertThat(fleetErrors).isEmpty();
    }
  }

  static double widthPercent(WebElement e) {
    String style = e.getAttribute("style");
    if (style == null || !style.contains("width")) {
      return 0;
    }
    return Double.parseDouble(style.replaceAll(".*width:\\s*([0-9.]+)%.*", "$1"));
  }

  // ------------------------------------------------------------------------------------------
  // The fleet: real crawlers on the Unix socket, on plain threads

  private void startCrawler(String crawlerId, int index) {
    Thread t = new Thread(() -> {
      try (LineClient c = hub.crawler(crawlerId)) {
        runCrawler(c, crawlerId, index);
      } catch (Throwable e) {
        if (running.get()) {
          synchronized (fleetErrors) {
            fleetErrors.add(e);
          }
        }
      }
    }, "sim-" + crawlerId);
    t.setDaemon(true);
    fleet.add(t);
    t.start();
  }

  /** One held job: what was done, how much there is, how fast this crawler goes at it. */
  private static final class Held {
    final String entityType;
    double processed;
    final long total;
    final double perSecond;

    Held(String entityType, long total, double perSecond) {
      this.entityType = entityType;
      this.total = total;
      this.perSecond = perSecond;
    }
  }

  private void runCrawler(LineClient c, String crawlerId, int index) throws Exception {
    Random random = new Random(index * 31L + 7);
    Map<String, Held> held = new LinkedHashMap<>();
    long tickMs = 500;
    int tick = 0;
    boolean failedOnce = false;
    while (running.get()) {
      if (held.size() < 2 && tick % 4 == 0) {
        c.send(LineClient.msg("job_request", null, new JsonObject().put("maxJobs", 2 - held.size())));
        JsonArray jobs = c.readUntil(m -> "job_response".equals(m.getString("type")), RealHub.WAIT)
            .getJsonObject("data").getJsonArray("jobs");
        for (Object o : jobs) {
          JsonObject j = (JsonObject) o;
          String type = typeOf(j.getString("entityId"));
          c.send(LineClient.msg("job_started", j.getString("id"), new JsonObject().put("entityType", "project")
              .put("entityId", j.getString("entityId"))));
          held.put(j.getString("id"), new Held(type, 1500 + random.nextInt(9000), 30 + random.nextInt(260)));
        }
      }
      for (var it = held.entrySet().iterator(); it.hasNext(); ) {
        var e = it.next();
        Held h = e.getValue();
        if (index == 2 && !failedOnce && h.processed > h.total * 0.3) {
          // One recoverable failure: the hub records it and requeues the job for a second attempt.
          failedOnce = true;
          c.send(LineClient.msg("job_failed", e.getKey(), new JsonObject().put("error", "GitLab API answered 502 Bad Gateway")
              .put("isRecoverable", true).put("errorType", "network")
              .put("resumeState", new JsonObject().put("currentPage", (long) h.processed / 100))));
          it.remove();
          continue;
        }
        h.processed = Math.min(h.total, h.processed + h.perSecond * tickMs / 1000.0 * (0.7 + 0.6 * random.nextDouble()));
        c.send(LineClient.msg("job_progress", e.getKey(), new JsonObject().put("stage", "fetching")
            .put("entityType", h.entityType).put("processed", (long) h.processed).put("total", h.total)
            .put("message", "fetching " + h.entityType + "s")
            .put("resumeState", new JsonObject().put("currentPage", (long) h.processed / 100))));
        if (h.processed >= h.total) {
          c.send(LineClient.msg("job_completed", e.getKey(), new JsonObject().put("success", true)
              .put("finalCounts", new JsonObject().put(h.entityType, h.total))));
          it.remove();
        }
      }
      if (tick % 4 == 0) {
        c.send(LineClient.msg("heartbeat", null, new JsonObject().put("activeJobs", held.size())
            .put("totalProcessed", tick).put("systemStatus", held.isEmpty() ? "idle" : "processing")
            .put("uptime", tick * tickMs / 1000)));
      }
      if (index == 2 && tick == 6) {
        c.sendRaw("{\"type\":\"job_progress\", truncated\n");
      }
      tick++;
      listen(c, tickMs);
    }
  }

  private static String typeOf(String entityId) {
    for (String[] j : JOBS) {
      if (j[0].equals(entityId)) {
        return j[1];
      }
    }
    return "issue";
  }

  /**
   * The crawler's pause between ticks: it listens to its socket for {@code ms} and ignores what the
   * hub sends besides job_response (error frames), like old crawlers do.
   */
  private static void listen(LineClient c, long ms) throws IOException {
    long deadline = System.nanoTime() + ms * 1_000_000;
    for (long left = ms; left > 0; left = (deadline - System.nanoTime()) / 1_000_000) {
      if (c.readLine(Duration.ofMillis(left)) == null && deadline - System.nanoTime() > 1_000_000) {
        return; // the hub closed the connection: nothing more to listen to
      }
    }
  }
}
