/**
 * The crawler-facing edge of the hub: {@link org.crawlerhub.gateway.GatewayVerticle} terminates
 * crawler sockets (Unix domain socket and/or TCP with optional TLS) and bridges them to the event
 * bus; {@link org.crawlerhub.gateway.StatusVerticle} answers {@code hub.status} and
 * {@code hub.connections} from the node's connection registry.
 *
 * <h2>How the app runs it</h2>
 * <ol>
 *   <li>{@code GatewayVerticle.prepareSocketPath(cfg)} once, off the event loop (creates the
 *       socket's directory, removes a stale socket file, refuses to touch a live socket or a
 *       regular file).</li>
 *   <li>{@code vertx.deployVerticle(() -> new GatewayVerticle(cfg),
 *       new DeploymentOptions().setInstances(cfg.instances().gateway()))}: the instances share the
 *       listeners; the deployment completes once every listener is bound (and the socket file
 *       has {@code cfg.socketMode()}). Deploy the router first, or early messages get
 *       {@code INTERNAL} errors (and an empty {@code job_response} for {@code job_request}).</li>
 *   <li>{@code vertx.deployVerticle(new StatusVerticle(cfg))}, one instance per node.</li>
 *   <li>Graceful stop: {@code GatewayVerticle.shutdownCrawlers(vertx, reason, timeoutSeconds)}
 *       (or a request to {@code GatewayVerticle.SHUTDOWN_ADDRESS}, {@code "hub.gateway.shutdown"},
 *       body {@code {reason?, timeoutSeconds?}}, reply {@code {notified}}) refuses new
 *       connections and sends {@code shutdown} to every crawler while keeping their connections
 *       open; then {@code GatewayVerticle.awaitDisconnected(vertx, cfg.shutdownTimeout())};
 *       then undeploy (stop closes the listeners and any remaining connection; it is
 *       idempotent).</li>
 * </ol>
 *
 * <h2>Contracts kept here</h2>
 * Inbound messages go with request/reply to {@code hub.crawler.inbound.<p>},
 * {@code p = floorMod(connectionId.hashCode(), cfg.instances().router())}, local only, with the
 * {@code connectionId}/{@code crawlerId}/{@code nodeId}/{@code transport} headers; the body is the
 * decoded envelope (handed over without a copy: do not keep mutating it after replying). Replies
 * ({@code {"frames": [...]}}) are written in receive order. Connection events go to
 * {@code hub.crawler.events}, rejections to {@code hub.errors.report}; every connected crawler has
 * a consumer on {@code hub.crawler.outbound.<crawlerId>}; {@code hub.crawler.broadcast} reaches
 * every authenticated connection.
 */
package org.crawlerhub.gateway;
