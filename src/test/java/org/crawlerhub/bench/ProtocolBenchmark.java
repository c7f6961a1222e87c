package org.crawlerhub.bench;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.protocol.MessageValidator;
import org.crawlerhub.protocol.ProtocolCodec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Per-message cost of the protocol layer, per inbound type: the raw ceiling's
 * {@code new JsonObject(buffer)}, {@link ProtocolCodec#decode}, {@link MessageValidator#validateInbound}
 * on a decoded envelope, and both together (what the gateway + router pay per line). Encoding is
 * {@link ProtocolEncodeBenchmark}. Run with bench/jmh.sh.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ProtocolBenchmark {
  private static final int MAX = 1 << 20;

  @Param({"heartbeat", "job_progress", "job_progress_ingest", "job_request", "jobs_discovered_100"})
  public String type;

  private Buffer line;
  private JsonObject decoded;

  static String ts() {
    return "2025-07-30T10:15:01.180Z";
  }

  static JsonObject message(String type) {
    JsonObject m = new JsonObject().put("timestamp", ts());
    switch (type) {
      case "heartbeat" -> m.put("type", "heartbeat").put("data", new JsonObject()
          .put("activeJobs", 2).put("totalProcessed", 123456).put("systemStatus", "processing")
          .put("memoryUsage", new JsonObject().put("heapUsed", 52428800).put("heapTotal", 104857600))
          .put("uptime", 3600.5));
      case "job_progress" -> m.put("type", "job_progress").put("jobId", "5f1c2a9e-8d7b-4c1a-9e3f-0a1b2c3d4e5f")
          .put("data", new JsonObject().put("stage", "fetching").put("entityType", "issue")
              .put("processed", 1200).put("total", 5000).put("message", "Fetching issues page 12")
              .put("resumeState", new JsonObject().put("currentPage", 12).put("entityType", "issue"))
              .put("itemCounts", new JsonObject().put("issues", 1200).put("notes", 3600))
              .put("processingRate", 42.5));
      case "job_progress_ingest" -> m.put("type", "job_progress") // the line bench/ingest.sh sends (~300 bytes)
          .put("jobId", "5f1c2a9e-8d7b-4c1a-9e3f-0a1b2c3d4e5f")
          .put("data", new JsonObject().put("stage", "fetching").put("entityType", "issue")
              .put("processed", 15624).put("total", 31251).put("message", "page 15624" + ".".repeat(120))
              .put("resumeState", new JsonObject().put("currentPage", 15624))
              .put("itemCounts", new JsonObject().put("issues", 15624).put("notes", 46872)));
      case "job_request" -> m.put("type", "job_request").put("data", new JsonObject().put("maxJobs", 1));
      case "jobs_discovered_100" -> {
        JsonArray entries = new JsonArray();
        for (int k = 0; k < 100; k++) {
          entries.add(new JsonObject().put("job_type", k % 5 == 0 ? "crawl_group" : "crawl_project")
              .put("entity_id", String.valueOf(1000 + k)).put("namespace_path", "acme/platform/project-" + k)
              .put("entity_name", "project-" + k).put("priority", 1)
              .put("estimated_size", new JsonObject().put("issues", 120).put("merge_requests", 40)));
        }
        m.put("type", "jobs_discovered").put("jobId", "5f1c2a9e-8d7b-4c1a-9e3f-0a1b2c3d4e5f")
            .put("data", new JsonObject().put("discovered_jobs", entries).put("discovery_summary",
                new JsonObject().put("total_users", 0).put("total_groups", 20).put("total_projects", 80)
                    .put("hierarchy_depth", 3)));
      }
      default -> throw new IllegalArgumentException(type);
    }
    return m;
  }

  @Setup
  public void setUp() {
    line = message(type).toBuffer();
    decoded = ProtocolCodec.decode(line.copy(), MAX);
    MessageValidator.validateInbound(decoded); // fail fast if the sample itself is invalid
  }

  /** The raw ceiling's per-line work. */
  @Benchmark
  public JsonObject rawJsonObject() {
    return new JsonObject(line);
  }

  @Benchmark
  public Object streamTree() {
    return org.crawlerhub.protocol.JsonTree.parse(line);
  }

  @Benchmark
  public Object vertxDecodeValue() {
    return io.vertx.core.json.Json.decodeValue(line);
  }

  @Benchmark
  public JsonObject decode() {
    return ProtocolCodec.decode(line, MAX);
  }

  @Benchmark
  public JsonObject validate() {
    MessageValidator.validateInbound(decoded);
    return decoded;
  }

  /** What the router reads once for the progress aggregator (null for types that are not job messages). */
  @Benchmark
  public Object jobReport() {
    return org.crawlerhub.protocol.JobReport.fromEnvelope(decoded);
  }

  /** What the router reads once for the jobs service. */
  @Benchmark
  public Object jobCommand() {
    return org.crawlerhub.protocol.JobCommand.fromEnvelope(decoded);
  }

  @Benchmark
  public JsonObject decodeAndValidate() {
    JsonObject m = ProtocolCodec.decode(line, MAX);
    MessageValidator.validateInbound(m);
    return m;
  }
}
