package org.crawlerhub.app;

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import org.crawlerhub.cluster.ClusterSupport;
import org.crawlerhub.config.ConfigLoader;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.persistence.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts a whole hub (Vert.x, database, every verticle in dependency order) and stops it again.
 * Used by {@link Main} and by end-to-end tests.
 */
public final class HubApplication {
  private static final Logger LOG = LoggerFactory.getLogger(HubApplication.class);

  private final Vertx vertx;
  private final HubConfig config;
  private final Database database;
  private final List<String> deployments = Collections.synchronizedList(new ArrayList<>());
  private volatile Future<Void> stopping;

  private HubApplication(Vertx vertx, HubConfig config, Database database) {
    this.vertx = vertx;
    this.config = config;
    this.database = database;
  }

  public Vertx vertx() {
    return vertx;
  }

  public HubConfig config() {
    return config;
  }

  /**
   * Loads configuration (explicit JSON above files and profile, below env and system properties)
   * and starts. Blocks the calling thread while the configuration is read: call it from a main or
   * test thread, never from an event loop.
   */
  public static Future<HubApplication> start(JsonObject explicit) {
    HubConfig cfg;
    try {
      cfg = ConfigLoader.loadBlocking(explicit);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return start(cfg);
  }

  /** Starts a hub with an already loaded and validated configuration. */
  public static Future<HubApplication> start(HubConfig loaded) {
    applyLogLevel(loaded.logLevel());
    // Linux epoll (netty-transport-native-epoll) when it loads, else the JDK's NIO (Vert.x falls back
    // and logs why): with 10,000 idle crawlers epoll costs ~20 % less CPU (bench/RESULTS.md).
    VertxOptions options = new VertxOptions().setPreferNativeTransport(loaded.nativeTransport())
        .setEventLoopPoolSize(loaded.instances().eventLoopPoolSize());
    if (loaded.enableMetrics()) {
      // Event-bus metrics are off: vertx-micrometer looks a meter up (tags hashed, registry map
      // probed) for every message sent, received and delivered, and every request/reply adds
      // more — the hub's top cost under load (bench/RESULTS.md). The hub's own meters count
      // messages by type and outcome instead.
      options.setMetricsOptions(new MicrometerMetricsOptions()
          .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true))
          .setJvmMetricsEnabled(true)
          .addDisabledMetricsCategory(MetricsDomain.EVENT_BUS)
          .setEnabled(true));
    }
    Future<Vertx> vertxFuture;
    if (loaded.cluster().enabled()) {
      options.setEventBusOptions(new EventBusOptions()
          .setHost(loaded.cluster().host()).setClusterPublicHost(loaded.cluster().host()));
      vertxFuture = Vertx.builder().with(options)
          .withClusterManager(ClusterSupport.clusterManager(loaded.cluster(), loaded.nodeId()))
          .buildClustered();
    } else {
      vertxFuture = Future.succeededFuture(Vertx.builder().with(options).build());
    }
    return vertxFuture.compose(vertx -> {
      String nodeId = nodeId(loaded, vertx);
      if (vertx.isClustered() && vertx instanceof VertxInternal internal && internal.clusterManager() != null) {
        LOG.info("Joined cluster as node {} ({} members)", internal.clusterManager().getNodeId(),
            internal.clusterManager().getNodes().size());
      }
      return Database.start(vertx, loaded.database())
          .compose(db -> {
            JsonObject json = loaded.toJson().put("nodeId", nodeId)
                .put("instances", loaded.instances().resolved(options.getEventLoopPoolSize()).toJson());
            json.getJsonObject("database").put("url", db.url()).put("embedded", db.isEmbedded());
            HubConfig cfg = HubConfig.fromJson(json);
            HubApplication app = new HubApplication(vertx, cfg, db);
            return app.deployAll().map(app).recover(err -> app.stop().transform(x -> Future.failedFuture(err)));
          })
          .onFailure(err -> vertx.close());
    });
  }

  /**
   * The configured {@code nodeId}; else, when clustered, the Vert.x cluster node id (so logs,
   * status and {@code welcome} name the same node Hazelcast does); else a random UUID.
   */
  private static String nodeId(HubConfig loaded, Vertx vertx) {
    if (loaded.nodeId() != null && !loaded.nodeId().isBlank()) {
      return loaded.nodeId();
    }
    if (vertx.isClustered() && vertx instanceof VertxInternal internal && internal.clusterManager() != null) {
      return internal.clusterManager().getNodeId();
    }
    return UUID.randomUUID().toString();
  }

  /** Applies {@code logLevel} (debug, info, warn, error, trace) to the root logger. */
  static void applyLogLevel(String level) {
    if (LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root) {
      root.setLevel(ch.qos.logback.classic.Level.toLevel(level, ch.qos.logback.classic.Level.INFO));
    }
  }

  private Future<Void> deployAll() {
    LOG.info("Crawler Hub node {} starting (profile {}, {} transport)", config.nodeId(), config.profile(),
        vertx.isNativeTransportEnabled() ? "epoll" : "NIO");
    if (config.nativeTransport() && !vertx.isNativeTransportEnabled()) {
      LOG.warn("nativeTransport: epoll is not available here, using NIO ({})",
          String.valueOf(vertx.unavailableNativeTransportCause()));
    }
    return HubBootstrap.deployVerticles(this)
        .onSuccess(v -> LOG.info("Crawler Hub node {} ready: socket {}{}{}", config.nodeId(),
            config.socketEnabled() ? config.socketPath() : "off",
            config.tcpEnabled() ? ", tcp " + config.host() + ":" + config.port() : "",
            config.http().enabled() ? ", http " + config.http().host() + ":" + config.http().port() : ""));
  }

  void track(String deploymentId) {
    deployments.add(deploymentId);
  }

  Future<String> deploy(Supplier<? extends io.vertx.core.Deployable> supplier, int instances) {
    return deploy(supplier, new DeploymentOptions().setInstances(instances));
  }

  Future<String> deploy(Supplier<? extends io.vertx.core.Deployable> supplier, DeploymentOptions options) {
    return vertx.deployVerticle(supplier, options).onSuccess(deployments::add);
  }

  /** Stops the hub once: crawlers are told to shut down, verticles undeployed, database stopped. */
  public synchronized Future<Void> stop() {
    if (stopping == null) {
      stopping = HubBootstrap.drainCrawlers(this)
          .transform(x -> undeployAll())
          .transform(x -> vertx.close())
          .transform(x -> {
            database.close();
            LOG.info("Crawler Hub node {} stopped", config.nodeId());
            return Future.<Void>succeededFuture();
          });
    }
    return stopping;
  }

  private Future<Void> undeployAll() {
    Future<Void> chain = Future.succeededFuture();
    List<String> reversed = new ArrayList<>(deployments);
    Collections.reverse(reversed);
    for (String id : reversed) {
      chain = chain.transform(x -> vertx.undeploy(id).recover(err -> Future.succeededFuture()));
    }
    return chain;
  }
}
