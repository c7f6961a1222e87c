package org.crawlerhub.bench;

import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.bus.DirectLane;
import org.crawlerhub.bus.LeaseView;
import org.crawlerhub.bus.LocalOnlyCodec;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.protocol.JobCommandBatch;
import org.crawlerhub.protocol.JobReportBatch;
import org.crawlerhub.router.RouterVerticle;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The router's cost per message as the gateway drives it: raw lines of one socket read handed to
 * a real {@link RouterVerticle} partition through its {@link DirectLane} on the partition's event
 * loop — decode, validation, routing, the job report for the progress aggregator, the accepted
 * progress for the jobs service, the reply. The job_progress lines are for a job the node's lease
 * view holds as running under the sender, so the router accepts them itself (the production path);
 * the jobs service and the aggregator are counting consumers (what the router hands them is
 * delivered, not processed). One invocation routes {@link #READS} reads on the event loop, so the
 * hop from the JMH thread (a few µs) is spread over them. Run with
 * {@code bench/jmh.sh RouterBenchmark}; compare {@code ProtocolBenchmark.decodeAndValidate}: the
 * rest is the router.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RouterBenchmark {
  static final int READS = 256;
  static final int LINES = 4;
  private static final String JOB = "5f1c2a9e-8d7b-4c1a-9e3f-0a1b2c3d4e5f";
  private static final String CRAWLER = "bench-crawler";

  /** job_progress (accepted by the router from the lease view) or heartbeat. */
  @Param({"job_progress", "heartbeat"})
  public String type;

  private Vertx vertx;
  private Context context;
  private DirectLane lane;
  private MultiMap headers;
  private final List<Buffer> lines = new ArrayList<>();
  private final AtomicLong commands = new AtomicLong();
  private final AtomicLong reports = new AtomicLong();
  private long failures;
  /** Messages answered with frames (an error, for these types): the benchmark would measure rejections. */
  private long answeredWithFrames;
  /** Reads not answered within the call: they went to the (counting, never answering) jobs service. */
  private long notAnsweredAtOnce;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    LocalOnlyCodec.register(vertx.eventBus(), JobCommandBatch.class);
    LocalOnlyCodec.register(vertx.eventBus(), JobReportBatch.class);
    vertx.eventBus().<JobCommandBatch>localConsumer(Addresses.JOBS_COMMAND_BATCH,
        m -> commands.addAndGet(m.body().commands().size())).completion().await(10, TimeUnit.SECONDS);
    vertx.sharedData().getLocalMap(Addresses.BATCH_CONSUMERS).put(Addresses.JOBS_COMMAND_BATCH, true);
    vertx.eventBus().<JobReportBatch>localConsumer(Addresses.JOB_REPORTS_LOCAL,
        m -> reports.addAndGet(m.body().reports().size())).completion().await(10, TimeUnit.SECONDS);
    LeaseView.of(vertx).set(JOB, "running", CRAWLER, 1);
    RouterVerticle.deploy(vertx, HubConfig.fromJson(new JsonObject())).await(30, TimeUnit.SECONDS);
    lane = DirectLane.find(vertx, Addresses.inboundBatchPartition(0));
    context = vertx.getOrCreateContext(); // the same (only) event loop as the partition
    headers = MultiMap.caseInsensitiveMultiMap().add("connectionId", "conn-1").add("crawlerId", CRAWLER)
        .add("nodeId", "bench-node").add("transport", "unix");
    for (int i = 0; i < LINES; i++) {
      JsonObject m = ProtocolBenchmark.message(type.equals("heartbeat") ? "heartbeat" : "job_progress_ingest");
      if (m.containsKey("jobId")) {
        m.put("jobId", JOB);
      }
      lines.add(m.toBuffer());
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
    if (failures > 0 || answeredWithFrames > 0 || notAnsweredAtOnce > 0
        || (type.equals("job_progress") && (reports.get() == 0 || commands.get() == 0))) {
      throw new IllegalStateException("the router did not take the accepted path: failures " + failures
          + ", answered with frames " + answeredWithFrames + ", not answered at once " + notAnsweredAtOnce
          + ", reports " + reports + ", commands to the jobs service " + commands);
    }
  }

  /** {@link #READS} reads of {@link #LINES} lines each, routed on the partition's event loop. */
  @Benchmark
  @OperationsPerInvocation(READS * LINES)
  public Object routeReads() {
    CompletableFuture<Object> done = new CompletableFuture<>();
    context.runOnContext(v -> {
      Object last = null;
      for (int r = 0; r < READS; r++) {
        JsonArray batch = new JsonArray(new ArrayList<>(LINES));
        for (Buffer line : lines) {
          batch.add(line);
        }
        Object[] reply = new Object[1];
        boolean inspect = r == 0; // one read per invocation: every message answered without frames
        lane.route(new JsonObject().put("batch", batch), headers, (ok, failure) -> {
          if (failure != null) {
            failures++;
          } else if (inspect) {
            for (Object each : ((JsonObject) ok).getJsonArray("replies")) {
              JsonArray frames = each instanceof JsonObject o ? o.getJsonArray("frames") : null;
              if (frames != null && !frames.isEmpty()) {
                answeredWithFrames++;
              }
            }
          }
          reply[0] = ok;
        });
        if (reply[0] == null) {
          notAnsweredAtOnce++;
        }
        last = reply[0];
      }
      done.complete(last);
    });
    return done.join();
  }
}
