package org.crawlerhub.sim;

/**
 * The client workload of the ingest and latency benchmarks, for one target (a socket path).
 *
 * @param connections concurrent connections (crawlers)
 * @param messages job_progress messages per round, over all connections
 * @param messageBytes approximate size of one job_progress line
 * @param batchBytes bytes written per {@code write} call (lines are packed; the stream is the same)
 * @param probeEvery a {@code job_request} maxJobs 0 after every this many job_progress of a
 *     connection (0 = none); its reply time is the probe latency
 * @param rate offered load in job_progress msg/s over all connections (0 = as fast as possible)
 * @param claimJobs each connection claims a real job with {@code job_request} (the hub); else it
 *     uses a made-up job id when the answer is empty (the baseline)
 * @param hello send {@code hello} first
 * @param clientThreads client event loops (connections are spread over them)
 * @param oneWayEveryMs a one-way probe ({@link OneWayProbes}) on a second job of each connection
 *     about every this many ms (0 = none); spaced above the hub's publish throttle so that each
 *     probe is published as it arrives, not held back for the throttle
 * @param paceSlices paced ({@code rate > 0}): the connections are topped up every 2 ms in this many
 *     groups spread over the 2 ms (1: all in one burst per tick, the generator before session 13)
 */
public record BenchWorkload(
    String socketPath,
    int connections,
    long messages,
    int messageBytes,
    int batchBytes,
    int probeEvery,
    double rate,
    boolean claimJobs,
    boolean hello,
    int clientThreads,
    long oneWayEveryMs,
    int paceSlices) {

  public BenchWorkload {
    if (connections < 1 || messages < connections || messageBytes < 100 || batchBytes < 1
        || probeEvery < 0 || rate < 0 || clientThreads < 1 || oneWayEveryMs < 0 || paceSlices < 1) {
      throw new IllegalArgumentException("bad workload: connections >= 1, messages >= connections, "
          + "message-bytes >= 100, rate >= 0, client-threads >= 1, one-way-every-ms >= 0, pace-slices >= 1");
    }
  }

  public BenchWorkload withMessages(long m) {
    return new BenchWorkload(socketPath, connections, m, messageBytes, batchBytes, probeEvery, rate,
        claimJobs, hello, clientThreads, oneWayEveryMs, paceSlices);
  }
}
