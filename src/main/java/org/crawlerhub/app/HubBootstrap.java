package org.crawlerhub.app;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import org.crawlerhub.config.ConfigLoader;
import org.crawlerhub.config.HubConfig;

/** Configuration loading and the deployment order of the hub's verticles. */
final class HubBootstrap {
  private HubBootstrap() {}

  static Future<HubConfig> loadConfig(Vertx vertx, JsonObject explicit) {
    return ConfigLoader.load(vertx, explicit);
  }

  static Future<Void> deployVerticles(HubApplication app) {
    return Future.succeededFuture();
  }

  static Future<Void> drainCrawlers(HubApplication app) {
    return Future.succeededFuture();
  }
}
