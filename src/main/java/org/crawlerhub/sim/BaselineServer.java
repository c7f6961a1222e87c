package org.crawlerhub.sim;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.parsetools.RecordParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * The raw ceiling the hub is compared against: a minimal Vert.x NDJSON server with the hub's
 * listener setup (Unix socket and/or TCP, {@code --instances} verticles sharing the listener) that
 * only splits lines ({@link RecordParser}), decodes each with {@code new JsonObject(buffer)} and
 * answers {@code job_request} with an empty {@code job_response}. Nothing else: no validation, no
 * event bus, no database. Because replies are written in order on the connection, a
 * {@code job_request} is a barrier here as it is in the hub.
 *
 * <pre>
 * java -cp ... org.crawlerhub.sim.BaselineServer --socket=/tmp/baseline.sock --instances=2
 *     [--host=127.0.0.1 --port=7071] [--event-loops=N] [--max-message-size=1048576]
 *     [--probe-file=PATH]   (one-way probes, {@link OneWayProbes})
 * </pre>
 */
public final class BaselineServer {
  /** Lines decoded by every instance of this JVM (tests and the final log line read it). */
  private final LongAdder messages = new LongAdder();
  private final LongAdder connections = new LongAdder();
  private final Options options;
  private String deploymentId;
  /** Where one-way probes are recorded (null: not looked for). */
  private volatile OneWayProbes probes;

  public record Options(String socketPath, String host, int port, int instances, int maxMessageSize) {
    public static Options from(CliArgs a) {
      return new Options(a.string("socket", null), a.string("host", "127.0.0.1"), a.integer("port", 0),
          a.integer("instances", 1), a.integer("max-message-size", 1 << 20));
    }

    boolean tcp() {
      return port > 0;
    }
  }

  public BaselineServer(Options options) {
    if (options.socketPath() == null && !options.tcp()) {
      throw new IllegalArgumentException("give --socket=PATH and/or --port=N");
    }
    this.options = options;
  }

  /**
   * Records each one-way probe line ({@link OneWayProbes}) as published ({@code P}) once decoded:
   * the raw server's whole processing of a line, the floor of the hub's socket-to-publish time.
   */
  public BaselineServer probes(OneWayProbes probes) {
    this.probes = probes;
    return this;
  }

  public long messages() {
    return messages.sum();
  }

  public long connections() {
    return connections.sum();
  }

  /** Deploys {@code instances} listener verticles on {@code vertx}; completes once all listen. */
  public Future<String> start(Vertx vertx) {
    if (options.socketPath() != null) {
      // Remove a stale socket file once, before deployment (not per instance: that could unlink
      // a sibling's live socket).
      try {
        Files.deleteIfExists(Path.of(options.socketPath()));
      } catch (IOException e) {
        return Future.failedFuture(e);
      }
    }
    return vertx.deployVerticle(() -> new Listener(), new DeploymentOptions().setInstances(options.instances()))
        .onSuccess(id -> deploymentId = id);
  }

  public Future<Void> stop(Vertx vertx) {
    return deploymentId == null ? Future.succeededFuture() : vertx.undeploy(deploymentId);
  }

  private static final Buffer EMPTY_JOBS_SUFFIX = Buffer.buffer("\",\"data\":{\"jobs\":[]}}\n");
  private static final Buffer JOB_RESPONSE_PREFIX = Buffer.buffer("{\"type\":\"job_response\",\"timestamp\":\"");

  private final class Listener extends VerticleBase {
    @Override
    public Future<?> start() {
      NetServerOptions opts = new NetServerOptions().setTcpNoDelay(true);
      List<Future<NetServer>> listening = new ArrayList<>();
      if (options.socketPath() != null) {
        listening.add(vertx.createNetServer(opts).connectHandler(this::serve)
            .listen(SocketAddress.domainSocketAddress(options.socketPath())));
      }
      if (options.tcp()) {
        listening.add(vertx.createNetServer(opts).connectHandler(this::serve)
            .listen(SocketAddress.inetSocketAddress(options.port(), options.host())));
      }
      return Future.all(listening);
    }

    private void serve(NetSocket socket) {
      connections.increment();
      int max = options.maxMessageSize();
      RecordParser lines = RecordParser.newDelimited("\n", socket).maxRecordSize(max);
      lines.exceptionHandler(e -> socket.close());
      lines.handler(line -> {
        if (line.length() == 0 || line.length() > max) {
          return;
        }
        JsonObject msg;
        try {
          msg = new JsonObject(line);
        } catch (RuntimeException e) {
          return;
        }
        messages.increment();
        String type = msg.getString("type");
        if ("job_request".equals(type)) {
          socket.write(JOB_RESPONSE_PREFIX.copy().appendString(Instant.now().toString())
              .appendBuffer(EMPTY_JOBS_SUFFIX));
        } else if (probes != null && "job_progress".equals(type)) {
          recordProbe(msg);
        }
      });
    }
  }

  private void recordProbe(JsonObject msg) {
    long at = System.nanoTime();
    if (msg.getValue("data") instanceof JsonObject d) {
      probes.recordIfProbe('P', d.getString("message"), at);
    }
  }

  public static void main(String[] args) throws IOException {
    CliArgs a = CliArgs.parse(args);
    Options options = Options.from(a);
    int eventLoops = a.integer("event-loops", Math.max(options.instances(),
        Runtime.getRuntime().availableProcessors()));
    // NIO by default, although the hub defaults to epoll: on this machine the raw server does more per
    // message on epoll (2.1-2.4 against 1.4-1.6 µs/msg), and the ceiling is the best the machine does
    // (the hub measures the same on both; bench/RESULTS.md). --native-transport=true for epoll.
    boolean nativeTransport = a.bool("native-transport", false);
    String probeFile = a.string("probe-file", null);
    a.rejectUnknown();
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(eventLoops)
        .setPreferNativeTransport(nativeTransport));
    BaselineServer server = new BaselineServer(options);
    if (probeFile != null) {
      OneWayProbes probes = OneWayProbes.toFile(Path.of(probeFile));
      server.probes(probes);
      Runtime.getRuntime().addShutdownHook(new Thread(probes::close, "one-way-probes-close"));
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println(
        "baseline: stopped after " + server.messages() + " messages on " + server.connections() + " connections")));
    server.start(vertx).onComplete(ar -> {
      if (ar.failed()) {
        System.err.println("baseline: failed to listen: " + ar.cause());
        vertx.close();
        System.exit(1);
      }
      System.out.println("baseline: listening" + (options.socketPath() != null ? " on " + options.socketPath() : "")
          + (options.tcp() ? " on " + options.host() + ":" + options.port() : "")
          + " with " + options.instances() + " instance(s), " + eventLoops + " event loop(s), "
          + (vertx.isNativeTransportEnabled() ? "epoll" : "NIO") + " transport");
    });
  }
}
