package org.crawlerhub.api;

import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Benchmark tool behind {@code bench/dashboard.sh} (not a test): opens a running hub's dashboard in
 * headless Chromium, logs in, waits until the crawler count shows, then measures the page's main
 * thread for a while with a {@code PerformanceObserver} on long tasks (over 50 ms: the page does not
 * answer the operator for that long). Prints how long until the count showed, the long tasks, the
 * crawler rows in the DOM and the JS heap.
 *
 * <p>Usage: {@code DashboardLoad <base-url> <admin-token> <expected crawlers> [window seconds]}
 */
public final class DashboardLoad {
  private static final Pattern LEADING_NUMBER = Pattern.compile("^(\\d+)");

  private DashboardLoad() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: DashboardLoad <base-url> <admin-token> <expected crawlers> [window seconds]");
      System.exit(2);
    }
    String url = args[0];
    String token = args[1];
    long expected = Long.parseLong(args[2]);
    int windowS = args.length > 3 ? Integer.parseInt(args[3]) : 30;
    ChromeDriver driver = HeadlessChrome.start();
    try {
      long t0 = System.nanoTime();
      driver.get(url);
      new WebDriverWait(driver, Duration.ofSeconds(30)).until(d -> d.findElement(By.id("login-token")).isDisplayed());
      driver.findElement(By.id("login-token")).sendKeys(token + "\n");
      String count = new WebDriverWait(driver, Duration.ofSeconds(180), Duration.ofMillis(100)).until(d -> {
        String text = d.findElement(By.id("crawlers-count")).getText();
        Matcher online = LEADING_NUMBER.matcher(text.replace(",", ""));
        return online.find() && Long.parseLong(online.group(1)) >= expected ? text : null;
      });
      System.out.printf("crawler count '%s' shown %.1f s after the page was opened%n", count, (System.nanoTime() - t0) / 1e9);
      driver.executeScript("window.__lt = 0; window.__ltn = 0; window.__ltmax = 0;"
          + "new PerformanceObserver(l => { for (const e of l.getEntries()) { window.__lt += e.duration; window.__ltn++;"
          + " window.__ltmax = Math.max(window.__ltmax, e.duration); } }).observe({entryTypes: ['longtask']});");
      Thread.sleep(windowS * 1000L); // the measuring window (this is a benchmark tool's main thread)
      @SuppressWarnings("unchecked")
      Map<String, Object> r = (Map<String, Object>) driver.executeScript(
          "return {lt: window.__lt, n: window.__ltn, max: window.__ltmax,"
          + " rows: document.querySelectorAll('#crawlers-body tr').length,"
          + " heap: performance.memory ? performance.memory.usedJSHeapSize : -1}");
      double busy = ((Number) r.get("lt")).doubleValue();
      System.out.printf("over %d s: %s long tasks, %.0f ms (%.1f %% of the main thread), longest %.0f ms;"
          + " crawler rows in the DOM %s; JS heap %.1f MB%n", windowS, r.get("n"), busy, busy / (windowS * 10.0),
          ((Number) r.get("max")).doubleValue(), r.get("rows"), ((Number) r.get("heap")).doubleValue() / 1e6);
    } finally {
      driver.quit();
    }
  }
}
