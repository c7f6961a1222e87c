package org.crawlerhub.sim;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One-way latency probes, #6's own definition of the latency: from a job_progress leaving the
 * client socket to the matching {@code hub.progress.job.<id>} publish. The load generator sends,
 * on a job of its own per connection, a job_progress whose {@code message} is
 * {@code "probe <System.nanoTime() at the write>"}; the server under test records each probe it
 * sees with that send time and its own {@code System.nanoTime()}. On Linux both are
 * CLOCK_MONOTONIC, one clock for every process of the host, so the difference is the one-way time.
 *
 * <p>Kinds: {@code P} = published (the hub: the {@code hub.progress.job.<id>} publish call itself,
 * seen by an outbound interceptor, {@link ProbedHub}; the raw baseline: the line decoded, its
 * whole processing), {@code D} = delivered to a subscriber of {@code hub.progress.jobs} in the hub
 * process, {@code R} = routed (the hub's router hands the accepted report to the progress
 * aggregator: decoded, validated, routed; what follows is the hand-off and the aggregation).
 * Records are appended to a file every 100 ms by a daemon thread (the servers' event loops only
 * append to a buffer); {@link LatencyBenchmark} reads the file after its run.
 */
public final class OneWayProbes implements AutoCloseable {
  /** A probe job_progress's message: this prefix, then the send time in nanoseconds. */
  public static final String MESSAGE_PREFIX = "probe ";
  /** Not a probe message. */
  public static final long NONE = Long.MIN_VALUE;

  private final Path file;
  private final ScheduledExecutorService writer;
  private StringBuilder pending = new StringBuilder();

  private OneWayProbes(Path file) {
    this.file = file;
    this.writer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "one-way-probes");
      t.setDaemon(true);
      return t;
    });
    writer.scheduleWithFixedDelay(this::flush, 100, 100, TimeUnit.MILLISECONDS);
  }

  /** Records to {@code file} (created or truncated now). */
  public static OneWayProbes toFile(Path file) throws IOException {
    Files.writeString(file, "", StandardCharsets.US_ASCII);
    return new OneWayProbes(file);
  }

  /** The send time a probe message carries, or {@link #NONE}. */
  public static long sentNanos(String message) {
    if (message == null || !message.startsWith(MESSAGE_PREFIX)) {
      return NONE;
    }
    try {
      return Long.parseLong(message, MESSAGE_PREFIX.length(), message.length(), 10);
    } catch (NumberFormatException e) {
      return NONE;
    }
  }

  /** Records {@code message} as a probe of {@code kind} seen at {@code atNanos}, if it is one. */
  public void recordIfProbe(char kind, String message, long atNanos) {
    long sent = sentNanos(message);
    if (sent != NONE) {
      record(kind, sent, atNanos);
    }
  }

  public synchronized void record(char kind, long sentNanos, long atNanos) {
    pending.append(kind).append(' ').append(sentNanos).append(' ').append(atNanos).append('\n');
  }

  /** Appends what was recorded since the last flush to the file. */
  public void flush() {
    StringBuilder out;
    synchronized (this) {
      if (pending.length() == 0) {
        return;
      }
      out = pending;
      pending = new StringBuilder();
    }
    try {
      Files.writeString(file, out, StandardCharsets.US_ASCII, StandardOpenOption.APPEND);
    } catch (IOException e) {
      // said, not thrown: an exception would end the periodic writer without a word
      System.err.println("one-way probes: cannot append to " + file + ": " + e);
    }
  }

  @Override
  public void close() {
    writer.shutdown();
    flush();
  }

  /**
   * The probes of a file sent at or after {@code fromNanos}: one-way times by kind. Only the first
   * record of a probe counts: the hub publishes a job's whole state, so a later change of the
   * probe job (its completion) publishes the last probe's message again.
   */
  public record Summary(LatencyHistogram routed, LatencyHistogram published, LatencyHistogram delivered) {}

  public static Summary read(Path file, long fromNanos) throws IOException {
    LatencyHistogram routed = new LatencyHistogram();
    LatencyHistogram published = new LatencyHistogram();
    LatencyHistogram delivered = new LatencyHistogram();
    List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
    Set<String> seen = new HashSet<>();
    for (String line : lines) {
      String[] f = line.split(" ");
      if (f.length != 3) {
        continue; // a line being appended while we read
      }
      long sent = Long.parseLong(f[1]);
      if (sent < fromNanos || !seen.add(f[0] + f[1])) {
        continue;
      }
      long oneWay = Long.parseLong(f[2]) - sent;
      switch (f[0]) {
        case "R" -> routed.record(oneWay);
        case "D" -> delivered.record(oneWay);
        default -> published.record(oneWay);
      }
    }
    return new Summary(routed, published, delivered);
  }
}
