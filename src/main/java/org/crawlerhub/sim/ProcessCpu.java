package org.crawlerhub.sim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time (user + system) a process has used so far, read from {@code /proc/<pid>/stat} (Linux).
 * The benchmarks sample it around a round to report the server's CPU per message, which the
 * client's share of the same cores does not distort the way throughput alone is distorted.
 */
final class ProcessCpu {
  /** Clock ticks per second of {@code /proc/<pid>/stat}'s utime and stime (USER_HZ, 100 on Linux). */
  private static final long TICKS_PER_SECOND = 100;

  private final Path stat;

  private ProcessCpu(long pid) {
    this.stat = Path.of("/proc", Long.toString(pid), "stat");
  }

  /** A reader for {@code pid}, or null when the pid is 0 or its stat file is not readable. */
  static ProcessCpu of(long pid) {
    ProcessCpu p = new ProcessCpu(pid);
    return pid > 0 && p.nanos() >= 0 ? p : null;
  }

  /** CPU time used so far in nanoseconds, or -1 when it cannot be read (the process is gone). */
  long nanos() {
    try {
      return parse(Files.readString(stat));
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** System (kernel) CPU time used so far in nanoseconds, or -1 when it cannot be read. */
  long systemNanos() {
    try {
      return parseSystem(Files.readString(stat));
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** utime + stime of a stat line; the command name (field 2) may hold spaces, so fields count from its ')'. */
  static long parse(String statLine) {
    String[] f = fields(statLine);
    return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * (1_000_000_000L / TICKS_PER_SECOND);
  }

  /** stime of a stat line in nanoseconds. */
  static long parseSystem(String statLine) {
    return Long.parseLong(fields(statLine)[12]) * (1_000_000_000L / TICKS_PER_SECOND);
  }

  /** The fields after the command name: index 0 is field 3 (state), so utime (14) is 11 and stime (15) is 12. */
  private static String[] fields(String statLine) {
    return statLine.substring(statLine.lastIndexOf(')') + 2).trim().split(" ");
  }
}
