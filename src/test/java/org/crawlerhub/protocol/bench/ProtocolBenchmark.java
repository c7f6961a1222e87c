package org.crawlerhub.protocol.bench;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.protocol.MessageValidator;
import org.crawlerhub.protocol.ProtocolCodec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of the inbound hot path per message: raw parse (the machine's ceiling, STACK-NOTES), decode,
 * validation alone, and both. Run with {@code -prof gc} to see bytes allocated per operation:
 * validation of a valid message should add next to nothing on top of decode.
 *
 * <pre>java -cp target/test-classes:target/classes:$(deps) org.openjdk.jmh.Main ProtocolBenchmark -prof gc</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class ProtocolBenchmark {
  static final String PROGRESS = "{\"type\":\"job_progress\",\"timestamp\":\"2025-07-30T10:15:04.000Z\","
      + "\"jobId\":\"job-42\",\"data\":{\"stage\":\"fetching\",\"entityType\":\"issue\",\"processed\":250,"
      + "\"total\":1000,\"message\":\"Fetched page 3 of issues\",\"resumeState\":{\"lastEntityId\":\"12345\","
      + "\"currentPage\":3,\"entityType\":\"issue\"},\"itemCounts\":{\"issues\":250,\"notes\":1200},"
      + "\"processingRate\":41.7,\"estimatedTimeRemaining\":18000}}";

  Buffer line;
  JsonObject decoded;

  @Setup
  public void setup() {
    line = Buffer.buffer(PROGRESS);
    decoded = ProtocolCodec.decode(line, 1 << 20);
  }

  @Benchmark
  public Object rawParse() {
    return new JsonObject(line);
  }

  @Benchmark
  public Object decode() {
    return ProtocolCodec.decode(line, 1 << 20);
  }

  @Benchmark
  public Object validate() {
    MessageValidator.validateInbound(decoded);
    return decoded;
  }

  @Benchmark
  public Object decodeAndValidate() {
    JsonObject msg = ProtocolCodec.decode(line, 1 << 20);
    MessageValidator.validateInbound(msg);
    return msg;
  }
}
