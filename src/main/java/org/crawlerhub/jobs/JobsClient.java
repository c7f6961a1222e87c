package org.crawlerhub.jobs;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.crawlerhub.bus.Addresses;

/**
 * Java API over the jobs addresses of the event bus, for the web app and the HTTP API. Failures are
 * {@link io.vertx.core.eventbus.ReplyException}s whose {@code failureCode()} is HTTP-like (400, 404,
 * 409, 503) and whose message is {@code "CODE: message"}.
 */
public final class JobsClient {
  private final Vertx vertx;
  private final DeliveryOptions options;

  public JobsClient(Vertx vertx) {
    this(vertx, 30_000);
  }

  public JobsClient(Vertx vertx, long timeoutMs) {
    this.vertx = vertx;
    this.options = new DeliveryOptions().setSendTimeout(timeoutMs);
  }

  /** Enqueues one job spec (SPEC §5 POST body): {@code {jobs:[Job], created:[bool]}}. */
  public Future<JsonObject> enqueue(JsonObject job) {
    return enqueueAll(new JsonArray().add(job));
  }

  /** Enqueues many jobs, all or nothing: {@code {jobs:[Job...], created:[bool...]}}. */
  public Future<JsonObject> enqueueAll(JsonArray jobs) {
    return request(Addresses.JOBS_ENQUEUE, new JsonObject().put("jobs", jobs));
  }

  /** {@code {job, events:[...]}}; fails 404 when unknown. */
  public Future<JsonObject> get(String id) {
    return request(Addresses.JOBS_GET, new JsonObject().put("id", id));
  }

  /** {@code {jobs:[...], nextCursor}}; query keys {@code status, crawlerId, spawnedFrom, limit, cursor}. */
  public Future<JsonObject> list(JsonObject query) {
    return request(Addresses.JOBS_LIST, query == null ? new JsonObject() : query);
  }

  public Future<JsonObject> cancel(String id) {
    return request(Addresses.JOBS_CANCEL, new JsonObject().put("id", id));
  }

  public Future<JsonObject> retry(String id) {
    return request(Addresses.JOBS_RETRY, new JsonObject().put("id", id));
  }

  /** Marks a queued job assigned to {@code crawlerId} (operator job_assignment): {@code {job}}; 404, 409. */
  public Future<JsonObject> assign(String jobId, String crawlerId) {
    return request(Addresses.JOBS_ASSIGN, new JsonObject().put("jobId", jobId).put("crawlerId", crawlerId));
  }

  /** Applies an error-manager decision, e.g. {@link org.crawlerhub.persistence.RetryPolicy.Decision#toRequest}: {@code {job}}; 404, 409. */
  public Future<JsonObject> applyRetryPolicy(JsonObject decision) {
    return request(Addresses.JOBS_APPLY_RETRY_POLICY, decision);
  }

  /** Counts by status plus {@code total}. */
  public Future<JsonObject> stats() {
    return request(Addresses.JOBS_STATS, new JsonObject());
  }

  private Future<JsonObject> request(String address, JsonObject body) {
    return vertx.eventBus().<JsonObject>request(address, body, options).map(m -> m.body());
  }
}
