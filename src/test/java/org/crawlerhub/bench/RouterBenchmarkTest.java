package org.crawlerhub.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The router benchmark measures what it says: invocations outside JMH, whose trial check (every
 * message accepted by the router itself, answered at once, without frames, with reports for the
 * aggregator and commands for the jobs service) must hold.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RouterBenchmarkTest {
  @ParameterizedTest
  @ValueSource(strings = {"job_progress", "heartbeat"})
  @DisplayName("one invocation routes every read on the accepted path and answers each message without frames")
  void routesOnTheAcceptedPath(String type) throws Exception {
    // GIVEN the benchmark's router partition, lease view and counting consumers
    RouterBenchmark b = new RouterBenchmark();
    b.type = type;
    b.setUp();

    // WHEN two invocations route their reads (the consumers get the first one's hand-offs on the
    // partition's event loop before the second runs)
    b.routeReads();
    Object last = b.routeReads();

    // THEN the last read's reply has one empty answer per line, and the trial check passes
    JsonArray replies = ((JsonObject) last).getJsonArray("replies");
    assertThat(replies).hasSize(RouterBenchmark.LINES);
    assertThat(replies).allSatisfy(r -> assertThat(((JsonObject) r).getJsonArray("frames", new JsonArray())).isEmpty());
    assertThatCode(b::tearDown).doesNotThrowAnyException();
  }
}
