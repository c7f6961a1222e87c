package org.crawlerhub.gateway.bench;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.gateway.GatewayVerticle;
import org.crawlerhub.protocol.Frames;

/**
 * Gateway throughput on one Unix-socket connection with a trivial router stand-in (replies
 * {@code {"frames":[]}}, a job_response for job_request). Not a test: run by hand, e.g.
 * {@code java -cp target/classes:target/test-classes:$(cat cp.txt) org.crawlerhub.gateway.bench.GatewayThroughputBench 1000000}.
 * Speed is measured here, never asserted in unit tests.
 */
public final class GatewayThroughputBench {
  public static void main(String[] args) throws Exception {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    Path dir = Files.createTempDirectory("gw-bench");
    HubConfig cfg = HubConfig.fromJson(new JsonObject().put("nodeId", "bench")
        .put("socketPath", dir.resolve("hub.sock").toString()).put("dataDir", dir.toString()));
    Vertx vertx = Vertx.vertx();
    GatewayVerticle.prepareSocketPath(cfg);
    vertx.deployVerticle(() -> new GatewayVerticle(cfg), new DeploymentOptions()).await(10, TimeUnit.SECONDS);
    JsonObject empty = new JsonObject().put("frames", new JsonArray());
    vertx.eventBus().<JsonObject>consumer(Addresses.inboundPartition(0), m -> {
      if ("job_request".equals(m.body().getString("type"))) {
        m.reply(new JsonObject().put("frames", new JsonArray().add(Frames.jobResponse(new JsonArray()))));
      } else {
        m.reply(empty);
      }
    }).completion().await(10, TimeUnit.SECONDS);

    String hb = new JsonObject().put("type", "heartbeat").put("timestamp", "2025-07-30T10:15:01.180Z")
        .put("data", new JsonObject().put("activeJobs", 3).put("totalProcessed", 123456)
            .put("systemStatus", "processing").put("memoryUsage", new JsonObject().put("rss", 123456789)
                .put("heapUsed", 23456789).put("heapTotal", 34567890)).put("uptime", 3600.5)
            .put("note", "x".repeat(80))).encode() + "\n";
    String barrier = new JsonObject().put("type", "job_request").put("timestamp", "2025-07-30T10:15:01.180Z")
        .put("data", new JsonObject().put("maxJobs", 0)).encode() + "\n";
    System.out.println("line size " + hb.length() + " bytes");
    byte[] chunk = hb.repeat(1000).getBytes(StandardCharsets.UTF_8);

    for (int round = 0; round < 3; round++) {
      try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        ch.connect(UnixDomainSocketAddress.of(cfg.socketPath()));
        long t0 = System.nanoTime();
        Thread writer = new Thread(() -> {
          try {
            for (int i = 0; i < n / 1000; i++) {
              ByteBuffer b = ByteBuffer.wrap(chunk);
              while (b.hasRemaining()) {
                ch.write(b);
              }
            }
            ByteBuffer b = ByteBuffer.wrap(barrier.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
              ch.write(b);
            }
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        });
        writer.start();
        ByteBuffer in = ByteBuffer.allocate(4096);
        while (ch.read(in) > 0) {
          if (new String(in.array(), 0, in.position(), StandardCharsets.UTF_8).contains("job_response")) {
            break;
          }
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        writer.join();
        System.out.printf("round %d: %d messages in %d ms = %.0f msg/s%n", round, n, ms, n * 1000.0 / ms);
      }
    }
    vertx.close().await(10, TimeUnit.SECONDS);
  }
}
