package org.crawlerhub.sim;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Enqueues jobs through the hub's HTTP API ({@code POST /api/jobs} with an array, SPEC §5), in
 * batches, and returns the created jobs. Entity ids carry a run tag so repeated runs are not
 * folded into still-open jobs of an earlier run.
 */
public final class JobEnqueuer {
  private static final int BATCH = 500;
  private final WebClient client;
  private final String api;
  private final String adminToken;

  public JobEnqueuer(Vertx vertx, String api, String adminToken) {
    this.client = WebClient.create(vertx);
    this.api = api.endsWith("/") ? api.substring(0, api.length() - 1) : api;
    this.adminToken = adminToken;
  }

  /** A job spec of SPEC §5; the access token is a fake. */
  public static JsonObject spec(String entityType, String entityId, String gitlabUrl, int priority) {
    return new JsonObject().put("entityType", entityType).put("entityId", entityId)
        .put("gitlabUrl", gitlabUrl).put("accessToken", "sim-fake-token").put("priority", priority);
  }

  /** Enqueues every spec (in batches of {@value #BATCH}) and answers the Job objects. */
  public Future<List<JsonObject>> enqueue(List<JsonObject> specs) {
    List<JsonObject> created = new ArrayList<>();
    Future<Void> chain = Future.succeededFuture();
    for (int from = 0; from < specs.size(); from += BATCH) {
      JsonArray batch = new JsonArray(new ArrayList<>(specs.subList(from, Math.min(specs.size(), from + BATCH))));
      chain = chain.compose(v -> post(batch).map(jobs -> {
        jobs.forEach(j -> created.add((JsonObject) j));
        return null;
      }));
    }
    return chain.map(v -> created);
  }

  private Future<JsonArray> post(JsonArray batch) {
    HttpRequest<Buffer> req = client.postAbs(api + "/api/jobs");
    if (adminToken != null && !adminToken.isBlank()) {
      req.putHeader("Authorization", "Bearer " + adminToken);
    }
    return req.sendJson(batch).compose(resp -> {
      if (resp.statusCode() != 200 && resp.statusCode() != 201) {
        return Future.failedFuture("POST /api/jobs answered " + resp.statusCode() + ": " + resp.bodyAsString());
      }
      JsonObject body = resp.bodyAsJsonObject();
      return Future.succeededFuture(body == null ? new JsonArray() : body.getJsonArray("jobs", new JsonArray()));
    });
  }

  public void close() {
    client.close();
  }
}
