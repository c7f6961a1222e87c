package org.crawlerhub.app;

import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar crawler-hub.jar [--cluster] [--conf FILE] [--help]} starts the hub; SIGTERM
 * stops it cleanly (crawlers get {@code shutdown}, persistence is flushed, the embedded database
 * is stopped).
 */
public final class Main {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  static final String USAGE = String.join("\n",
      "Usage: java -jar crawler-hub.jar [options]",
      "",
      "Options:",
      "  --cluster           join a Hazelcast cluster (TCP-IP members from cluster.members / HUB_CLUSTER_MEMBERS)",
      "  --conf FILE         extra JSON configuration (above conf/config.json and the profile, below env and -D)",
      "  --help              print this help and exit",
      "",
      "Configuration layers (lowest first): built-in defaults, conf/config.json, profile overlay",
      "(HUB_PROFILE or NODE_ENV: development|test|production), --conf, environment variables,",
      "system properties (-Dhub.<key>=value). Without DATABASE_URL an embedded PostgreSQL is started",
      "with its data under <dataDir>/pg. See README.md for every key and environment variable.",
      "");

  private Main() {}

  public static void main(String[] args) throws Exception {
    run(args, hub -> { });
  }

  /**
   * Starts the hub from the command line, hands it to {@code started} (a benchmark adds its
   * probes there, {@link org.crawlerhub.sim.ProbedHub}) and waits until SIGTERM has stopped it.
   */
  public static void run(String[] args, Consumer<HubApplication> started) throws Exception {
    JsonObject explicit = new JsonObject();
    boolean cluster = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--help", "-h", "-help" -> {
          System.out.print(USAGE);
          return;
        }
        case "--cluster", "-cluster" -> cluster = true;
        case "--conf", "-conf" -> {
          if (i + 1 >= args.length) {
            fail("--conf needs a file");
          }
          explicit = new JsonObject(Files.readString(Path.of(args[++i])));
        }
        default -> fail("unknown option: " + args[i] + "\n\n" + USAGE);
      }
    }
    if (cluster) {
      explicit.put("cluster", explicit.getJsonObject("cluster", new JsonObject()).put("enabled", true));
    }

    HubApplication hub;
    try {
      hub = HubApplication.start(explicit).toCompletionStage().toCompletableFuture().get(5, TimeUnit.MINUTES);
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable cause = e.getCause();
      System.err.println("crawler-hub failed to start: " + cause.getMessage());
      LOG.debug("start-up failure", cause);
      System.exit(1);
      return;
    }
    started.accept(hub);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        hub.stop().toCompletionStage().toCompletableFuture()
            .get(hub.config().shutdownTimeout() + 30_000, TimeUnit.MILLISECONDS);
      } catch (Exception e) {
        LOG.warn("Shutdown did not complete cleanly: {}", e.toString());
      } finally {
        stopped.countDown();
      }
    }, "hub-shutdown"));
    stopped.await();
  }

  private static void fail(String message) {
    System.err.println(message);
    System.exit(2);
  }
}
