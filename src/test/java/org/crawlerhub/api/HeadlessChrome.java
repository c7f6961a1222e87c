package org.crawlerhub.api;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's headless Chromium driven by chromedriver, set up the same way for every browser test
 * (no background networking on this closed network, fresh profile, fixed window size). Skips the
 * test when the browser is not installed (.ci/run installs it).
 */
final class HeadlessChrome {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

  private HeadlessChrome() {}

  /** Skips the calling test unless Chromium and chromedriver are installed. */
  static void assumeInstalled() {
    assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "headless Chromium not installed (apt-get install -y chromium chromium-driver): browser test skipped");
  }

  /** Saves a screenshot of the page to {@code target} (made relative to the project) and returns its size in bytes. */
  static long screenshot(ChromeDriver driver, String target) throws IOException {
    File shot = driver.getScreenshotAs(OutputType.FILE);
    Path out = Path.of(target);
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.copy(shot.toPath(), out, StandardCopyOption.REPLACE_EXISTING);
    return Files.size(out);
  }

  static ChromeDriver start() throws IOException {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--hide-scrollbars", "--force-device-scale-factor=1",
        "--user-data-dir=" + Files.createTempDirectory("hub-chromium-").toAbsolutePath());
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().window().setSize(new Dimension(1440, 1480));
    return driver;
  }
}
