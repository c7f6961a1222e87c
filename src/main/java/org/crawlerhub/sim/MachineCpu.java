package org.crawlerhub.sim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How busy the whole machine is, from the first line of {@code /proc/stat} (Linux). The ingest
 * benchmark waits for a quiet machine before each round: after a hub round the hub and its
 * PostgreSQL still write the round's progress for a while, and a baseline round started then
 * measured the baseline at up to 2.5× its CPU per message.
 */
final class MachineCpu {
  private static final Path STAT = Path.of("/proc/stat");

  private MachineCpu() {
  }

  /** {busy, total} jiffies of a {@code /proc/stat} "cpu" line: idle and iowait are not busy. */
  static long[] parse(String cpuLine) {
    String[] f = cpuLine.trim().split("\\s+");
    long total = 0;
    for (int i = 1; i < f.length; i++) {
      total += Long.parseLong(f[i]);
    }
    long idle = Long.parseLong(f[4]) + (f.length > 5 ? Long.parseLong(f[5]) : 0);
    return new long[] {total - idle, total};
  }

  private static long[] now() throws IOException {
    try (var lines = Files.lines(STAT)) {
      return parse(lines.findFirst().orElseThrow());
    }
  }

  /**
   * Waits until the machine's busy share over a 500 ms window is below {@code maxBusy} (0..1 of
   * all cores), at most {@code maxWaitMs}; returns a note for the round's output when it waited
   * over a second or never got quiet, else "". Answers "" at once where /proc/stat is unreadable.
   * Blocks the calling thread: the benchmark's main thread between rounds, never an event loop.
   */
  static String awaitQuiet(double maxBusy, long maxWaitMs) throws InterruptedException {
    long start = System.nanoTime();
    double busy = Double.NaN;
    try {
      while (true) {
        long[] a = now();
        Thread.sleep(500);
        long[] b = now();
        busy = (b[1] - a[1]) <= 0 ? 0 : (double) (b[0] - a[0]) / (b[1] - a[1]);
        long waited = (System.nanoTime() - start) / 1_000_000;
        if (busy < maxBusy) {
          return waited > 1000 ? String.format(Locale.ROOT, "  (waited %.1f s for a quiet machine)", waited / 1000.0) : "";
        }
        if (waited >= maxWaitMs) {
          return String.format(Locale.ROOT, "  WARNING: the machine was still %.0f %% busy after %.0f s", busy * 100,
              waited / 1000.0);
        }
      }
    } catch (IOException | RuntimeException unreadable) {
      return "";
    }
  }
}
