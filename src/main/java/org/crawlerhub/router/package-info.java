/**
 * The router: every crawler message the gateway decoded passes through here (ARCHITECTURE
 * "Message flow" 2–4).
 *
 * <h2>Deployment (app)</h2>
 * <pre>{@code
 * RouterVerticle.deploy(vertx, cfg)                 // cfg.instances().router() instances, partitions 0..n-1
 * RouterVerticle.deploy(vertx, cfg, customiser)     // same, each instance's MessageRouter customised
 * }</pre>
 * or by hand: {@code new RouterVerticle(cfg, partition[, customiser])}, one per partition.
 *
 * <h2>Per message</h2>
 * <ol>
 *   <li>middleware {@code beforeProcess}, highest priority first: logging (1000, debug, secrets
 *       masked), rate limit (900, only when {@code rateLimit.messagesPerSecond > 0}), validation
 *       (800, {@code MessageValidator.validateInbound}), then any application middleware;</li>
 *   <li>the highest-priority handler registered for the (possibly replaced) type: built-in
 *       {@link org.crawlerhub.router.HeartbeatHandler} and
 *       {@link org.crawlerhub.router.JobsForwardingHandler} (request/reply to
 *       {@code hub.jobs.command}) at priority 0; no handler -> {@code UNKNOWN_TYPE};</li>
 *   <li>middleware {@code afterProcess} in reverse order;</li>
 *   <li>accepted: publish on {@code hub.crawler.message.<type>}; rejected: report on
 *       {@code hub.errors.report}; count {@code hub.messages.in{type,outcome}};</li>
 *   <li>reply {@code {"frames":[...]}} (always exactly one reply; rejected -> the handler's frames,
 *       if any, then one {@code error} frame from {@code Frames.errorFrom}).</li>
 * </ol>
 *
 * <h2>Extending (embedding application)</h2>
 * <pre>{@code
 * RouterVerticle.deploy(vertx, cfg, router -> router
 *     .registerHandler("job_progress", 10, ctx -> ...)   // beats the built-in (priority 0)
 *     .registerHandler("my_type", 0, ctx -> ...)          // a type of your own (via hub.crawler.inbound)
 *     .addMiddleware(new MyAuditMiddleware()));           // priority < 800 sees validated messages
 * }</pre>
 * Handlers and middleware run on the router's event loop; they must not block, and a handler
 * must issue any downstream request before it returns (per-connection order).
 */
package org.crawlerhub.router;
