package org.crawlerhub.api;

/**
 * Tuning of the {@code /api/events} stream.
 *
 * @param heartbeatMillis   comment line sent to every client this often (keeps proxies from closing idle streams)
 * @param ringSize          events kept in memory for {@code Last-Event-ID} resume
 * @param throttleMillis    at most one progress/aggregate/heartbeat event per job/crawler this often (latest wins)
 * @param writeQueueBytes   bytes a client may have unsent before it is dropped as too slow
 * @param maxClients        concurrent streams; more are answered 503
 * @param errorsPerSecond   error records streamed per second; the rest are counted in an {@code errors-suppressed} event
 */
public record SseSettings(long heartbeatMillis, int ringSize, long throttleMillis, int writeQueueBytes,
    int maxClients, int errorsPerSecond) {

  public static SseSettings defaults() {
    return new SseSettings(15_000, 2048, 500, 256 * 1024, 256, 50);
  }

  public SseSettings withHeartbeatMillis(long millis) {
    return new SseSettings(millis, ringSize, throttleMillis, writeQueueBytes, maxClients, errorsPerSecond);
  }

  public SseSettings withRingSize(int size) {
    return new SseSettings(heartbeatMillis, size, throttleMillis, writeQueueBytes, maxClients, errorsPerSecond);
  }

  public SseSettings withThrottleMillis(long millis) {
    return new SseSettings(heartbeatMillis, ringSize, millis, writeQueueBytes, maxClients, errorsPerSecond);
  }

  public SseSettings withWriteQueueBytes(int bytes) {
    return new SseSettings(heartbeatMillis, ringSize, throttleMillis, bytes, maxClients, errorsPerSecond);
  }
}
