package org.crawlerhub.jobs;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.config.HubConfig;

/**
 * Asks a token provider for a fresh access token (SPEC §2.4): first a consumer of
 * {@code hub.tokens.refresh}; when nobody consumes it, the HTTP callback {@code tokenRefresh.url};
 * else a failure that says so. Tokens never reach a log or an error message.
 */
final class TokenRefresher {

  /** A fresh token; {@code expiresAt} only when the provider said so. */
  record Token(String accessToken, String expiresAt) {}

  private final Vertx vertx;
  private final HubConfig.TokenRefresh cfg;
  private WebClient web;

  TokenRefresher(Vertx vertx, HubConfig.TokenRefresh cfg) {
    this.vertx = vertx;
    this.cfg = cfg;
  }

  Future<Token> refresh(JsonObject request) {
    DeliveryOptions opts = new DeliveryOptions().setSendTimeout(cfg.timeout());
    return vertx.eventBus().<JsonObject>request(Addresses.TOKENS_REFRESH, request, opts)
        .map(reply -> parse(reply.body(), "the hub.tokens.refresh provider"))
        .recover(err -> {
          if (err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
            if (cfg.url() != null) {
              return viaHttp(request);
            }
            return Future.failedFuture(new IllegalStateException(
                "no token provider: nothing consumes hub.tokens.refresh and tokenRefresh.url is not set"));
          }
          if (err instanceof ReplyException re && re.failureType() == ReplyFailure.TIMEOUT) {
            return Future.failedFuture(new IllegalStateException(
                "token provider did not answer within " + cfg.timeout() + " ms"));
          }
          if (err instanceof ReplyException re) {
            return Future.failedFuture(new IllegalStateException("token provider refused: " + re.getMessage()));
          }
          return Future.failedFuture(err);
        });
  }

  private Future<Token> viaHttp(JsonObject request) {
    if (web == null) {
      web = WebClient.create(vertx);
    }
    return web.postAbs(cfg.url()).timeout(cfg.timeout()).sendJsonObject(request)
        .recover(err -> Future.failedFuture(new IllegalStateException(
            "token callback unreachable: " + err.getClass().getSimpleName())))
        .map(resp -> {
          if (resp.statusCode() / 100 != 2) {
            throw new IllegalStateException("token callback answered HTTP " + resp.statusCode());
          }
          JsonObject body;
          try {
            body = resp.bodyAsJsonObject();
          } catch (RuntimeException e) {
            throw new IllegalStateException("token callback answered something that is not a JSON object");
          }
          return parse(body, "the token callback");
        });
  }

  private static Token parse(JsonObject body, String source) {
    if (body == null || !(body.getValue("accessToken") instanceof String token) || token.isEmpty()) {
      throw new IllegalStateException(source + " answered without an accessToken");
    }
    Object exp = body.getValue("expiresAt");
    return new Token(token, exp == null ? null : String.valueOf(exp));
  }

  void close() {
    if (web != null) {
      web.close();
    }
  }
}
