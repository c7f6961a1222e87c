package org.crawlerhub.app;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import org.crawlerhub.api.HttpVerticle;
import java.util.ArrayList;
import java.util.List;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.errors.ErrorManagerVerticle;
import org.crawlerhub.progress.ProgressVerticle;
import org.crawlerhub.gateway.GatewayVerticle;
import org.crawlerhub.jobs.JobsVerticle;
import org.crawlerhub.gateway.StatusVerticle;
import org.crawlerhub.router.RouterVerticle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Configuration loading and the deployment order of the hub's verticles: the services behind the
 * bus first (so nothing a crawler sends finds its consumer missing), the router, the status
 * service, then the listeners (gateway, HTTP) last.
 */
final class HubBootstrap {
  private static final Logger LOG = LoggerFactory.getLogger(HubBootstrap.class);

  private HubBootstrap() {}

  static Future<Void> deployVerticles(HubApplication app) {
    HubConfig cfg = app.config();
    Vertx vertx = app.vertx();
    return app.deploy(() -> new ErrorManagerVerticle(cfg), Math.max(1, cfg.instances().errors()))
        .compose(x -> app.deploy(() -> new JobsVerticle(cfg), 1))
        .compose(x -> deployProgressPartitions(app))
        .compose(x -> RouterVerticle.deploy(vertx, cfg).onSuccess(app::track))
        .compose(x -> app.deploy(() -> new StatusVerticle(cfg), 1))
        .compose(x -> cfg.socketEnabled()
            ? vertx.executeBlocking(() -> {
                GatewayVerticle.prepareSocketPath(cfg);
                return null;
              }, false)
            : Future.succeededFuture())
        .compose(x -> app.deploy(() -> new GatewayVerticle(cfg), cfg.instances().gateway()))
        .compose(x -> cfg.http().enabled()
            ? app.deploy(() -> new HttpVerticle(cfg), 1)
            : Future.succeededFuture())
        .mapEmpty();
  }

  /** One progress verticle per partition; together they own every job (by jobId hash). */
  private static Future<Void> deployProgressPartitions(HubApplication app) {
    HubConfig cfg = app.config();
    int partitions = Math.max(1, cfg.instances().progress());
    List<Future<String>> all = new ArrayList<>();
    for (int i = 0; i < partitions; i++) {
      int partition = i;
      all.add(app.deploy(() -> new ProgressVerticle(cfg, partition, partitions), ProgressVerticle.deploymentOptions()));
    }
    return Future.all(all).mapEmpty();
  }

  /** Tells every crawler to shut down, then waits until they left or shutdownTimeout passed. */
  static Future<Void> drainCrawlers(HubApplication app) {
    HubConfig cfg = app.config();
    long timeoutMs = cfg.shutdownTimeout();
    return GatewayVerticle.shutdownCrawlers(app.vertx(), "hub stopping", Math.max(1, timeoutMs / 1000))
        .compose(notified -> {
          LOG.info("Sent shutdown to {} crawler(s); waiting up to {} ms for them to leave", notified, timeoutMs);
          return notified == 0
              ? Future.succeededFuture(true)
              : GatewayVerticle.awaitDisconnected(app.vertx(), timeoutMs);
        })
        .otherwise(err -> {
          LOG.debug("crawler drain skipped: {}", err.toString());
          return false;
        })
        .mapEmpty();
  }
}
