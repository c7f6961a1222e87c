package org.crawlerhub.bus;

import io.vertx.core.Completable;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.shareddata.Shareable;

/**
 * A router partition's batch consumer, callable directly by a gateway connection on the same
 * event-loop thread (ARCHITECTURE, "Message flow" 2): the same request, headers and reply as
 * {@code hub.crawler.inbound-batch.<partition>}, without the two event-bus tasks. A read is
 * then routed, and its accepted job_progress answered, inside the read, like the raw baseline
 * does; an event loop no longer routes its whole I/O pass before it answers the first of it.
 *
 * <p>Node-local: each router partition lists itself in the shared-data map {@link #MAP} under its
 * batch address while it runs. The event-bus consumer stays (other senders, a gateway on another
 * event loop); one connection uses one path at a time, so its messages stay in order.
 */
public interface DirectLane extends Shareable {
  /** Node-local shared-data map: batch address -> the partition's lane. */
  String MAP = "hub.router.direct-lanes";

  /** True when the calling thread is the partition's event loop: only then may it call {@link #route}. */
  boolean inThread();

  /**
   * Routes {@code {"batch":[...]}} exactly as the batch address would, on the partition's context,
   * and calls {@code done} once with the reply ({@code {"replies":[...]}}) or a failure; when the
   * batch needs nothing asynchronous (an accepted job_progress, a rejection, an empty job_request),
   * before returning. {@code done} runs on the partition's context (same thread as the caller).
   */
  void route(JsonObject request, MultiMap headers, Completable<Object> done);

  /** The lane listed for {@code batchAddress} on this node, or null. */
  static DirectLane find(Vertx vertx, String batchAddress) {
    return vertx.sharedData().<String, DirectLane>getLocalMap(MAP).get(batchAddress);
  }
}
