package org.crawlerhub.progress.bench;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.progress.ProgressVerticle;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * job_progress messages/s one progress partition absorbs from the local event bus (1,000 jobs,
 * publish throttled). Run: {@code java -cp <test classpath> org.crawlerhub.progress.bench.ProgressIngestBenchmark}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
public class ProgressIngestBenchmark {
  private static final int BATCH = 20_000;
  private static final int JOBS = 1_000;

  private Vertx vertx;
  private JsonObject[] envelopes;
  private DeliveryOptions headers;
  private long processed;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    vertx = Vertx.vertx();
    HubConfig cfg = HubConfig.fromJson(new JsonObject().put("nodeId", "bench"));
    vertx.deployVerticle(new ProgressVerticle(cfg, 0, 1)).toCompletionStage().toCompletableFuture().get();
    envelopes = new JsonObject[JOBS];
    headers = new DeliveryOptions().addHeader(Addresses.Headers.CONNECTION_ID, "conn-1")
        .addHeader(Addresses.Headers.CRAWLER_ID, "crawler-1");
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get();
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public Object ingest() throws Exception {
    long base = processed;
    processed += BATCH;
    String ts = Instant.now().toString();
    vertx.runOnContext(v -> {
      for (int i = 0; i < BATCH; i++) {
        JsonObject data = new JsonObject().put("stage", "fetching").put("entityType", "issue")
            .put("processed", base + i).put("total", 1_000_000_000L);
        vertx.eventBus().publish(Addresses.message("job_progress"), new JsonObject().put("type", "job_progress")
            .put("timestamp", ts).put("jobId", "job-" + (i % JOBS)).put("data", data), headers);
      }
    });
    // A query sent after the batch is answered after the batch was processed (same sender, FIFO).
    return vertx.eventBus().request(Addresses.PROGRESS_GET, new JsonObject().put("jobId", "job-0"))
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  public static void main(String[] args) throws Exception {
    new Runner(new OptionsBuilder().include(ProgressIngestBenchmark.class.getSimpleName()).build()).run();
  }
}
