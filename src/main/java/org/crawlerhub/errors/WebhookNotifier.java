package org.crawlerhub.errors;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs alerts as JSON to the configured webhook. Never blocks the caller: a failed delivery
 * (connection error, timeout or non-2xx) is retried on Vert.x timers with doubling backoff, then
 * given up with a warning.
 */
final class WebhookNotifier {
  private static final Logger LOG = LoggerFactory.getLogger(WebhookNotifier.class);
  static final long REQUEST_TIMEOUT_MS = 5_000;

  private final Vertx vertx;
  private final WebClient client;
  private final String url;
  private final int maxAttempts;
  private final long firstBackoffMs;

  WebhookNotifier(Vertx vertx, String url, int maxAttempts, long firstBackoffMs) {
    this.vertx = vertx;
    this.url = url;
    this.maxAttempts = maxAttempts;
    this.firstBackoffMs = firstBackoffMs;
    this.client = WebClient.create(vertx, new WebClientOptions().setUserAgent("crawler-hub-alerts"));
  }

  void send(JsonObject alert) {
    attempt(alert, 1);
  }

  private void attempt(JsonObject alert, int n) {
    client.postAbs(url).timeout(REQUEST_TIMEOUT_MS).sendJsonObject(alert).onComplete(ar -> {
      if (ar.succeeded() && ar.result().statusCode() / 100 == 2) {
        return;
      }
      String why = ar.succeeded() ? "HTTP " + ar.result().statusCode() : ar.cause().toString();
      if (n >= maxAttempts) {
        LOG.warn("Alert webhook gave up after {} attempts for {} alert: {}", n, alert.getString("category"), why);
        return;
      }
      long backoff = firstBackoffMs << (n - 1);
      LOG.info("Alert webhook attempt {} failed ({}); retrying in {} ms", n, why, backoff);
      vertx.setTimer(backoff, id -> attempt(alert, n + 1));
    });
  }

  void close() {
    client.close();
  }
}
