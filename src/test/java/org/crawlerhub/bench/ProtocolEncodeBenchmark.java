package org.crawlerhub.bench;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.protocol.Frames;
import org.crawlerhub.protocol.ProtocolCodec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Per-frame cost of encoding outbound NDJSON ({@link ProtocolCodec#encode}). Run with bench/jmh.sh. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ProtocolEncodeBenchmark {
  private JsonObject jobResponse;
  private JsonObject emptyJobResponse;
  private JsonObject progress;

  @Setup
  public void setUp() {
    JsonArray jobs = new JsonArray().add(new JsonObject().put("id", "5f1c2a9e-8d7b-4c1a-9e3f-0a1b2c3d4e5f")
        .put("entityType", "project").put("entityId", "acme/platform/api")
        .put("gitlabUrl", "https://gitlab.example.com").put("accessToken", "glpat-xxxxxxxxxxxxxxxxxxxx"));
    jobResponse = Frames.jobResponse(jobs);
    emptyJobResponse = Frames.jobResponse(new JsonArray());
    progress = ProtocolBenchmark.message("job_progress");
  }

  /** A job_response with one job, frame already built. */
  @Benchmark
  public Buffer jobResponseOneJob() {
    return ProtocolCodec.encode(jobResponse);
  }

  /** The barrier answer: building the frame (timestamp included) and encoding it. */
  @Benchmark
  public Buffer emptyJobResponseBuildAndEncode() {
    return ProtocolCodec.encode(Frames.jobResponse(new JsonArray()));
  }

  @Benchmark
  public Buffer emptyJobResponse() {
    return ProtocolCodec.encode(emptyJobResponse);
  }

  /** A job_progress-sized envelope (what a republish or SSE serialisation costs). */
  @Benchmark
  public Buffer jobProgressEnvelope() {
    return ProtocolCodec.encode(progress);
  }
}
