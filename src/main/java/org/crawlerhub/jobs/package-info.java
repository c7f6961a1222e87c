/**
 * Jobs on PostgreSQL: the lifecycle state machine of SPEC §2 behind the event bus.
 *
 * <h2>Deployment</h2>
 * {@code new JobsVerticle(cfg)}, exactly ONE instance per node (it holds the node's lease cache,
 * progress coalescing and per-crawler claim ordering), deployed after the database is started and
 * migrated ({@code cfg.database().url()} set, {@code cfg.nodeId()} set) and before the router and
 * gateway, so {@code hub.jobs.command} has a consumer when crawlers arrive. It creates its own pool
 * of {@code database.poolSize} connections. Undeploying flushes progress and waits (bounded by
 * {@code shutdownTimeout}, at most 10 s) for buffered lifecycle writes.
 *
 * <h2>Classes</h2>
 * {@code JobsVerticle} (crawler commands, lease cache, coalesced progress, lease renewal/expiry,
 * crawler_sessions, discovery, token refresh), {@code JobsApi} (the {@code hub.jobs.*} request/reply
 * operations), {@code LeaseExpiryScanner}, {@code DiscoveryPlan}, {@code JobSpecs} (POST /api/jobs
 * validation), {@code TokenRefresher}, {@code JobsClient} (Java API over the bus). The default retry
 * computation is {@link org.crawlerhub.persistence.RetryPolicy}.
 *
 * <h2>Addresses consumed</h2>
 * {@code hub.jobs.command} (a LOCAL consumer: each node's router; replies {@code {"frames":[...]}} or {@code {"error":{code,message}}}),
 * {@code hub.jobs.enqueue|get|list|cancel|retry|assign|retry-policy|stats} (request/reply, failures
 * {@code fail(status, "CODE: message")}), {@code hub.crawler.events} (leases, crawler_sessions),
 * {@code hub.crawler.message.heartbeat} (crawler_sessions, batched), {@code hub.job.events} (cache
 * sync with other nodes). Published: {@code hub.job.events} after commit (body has {@code nodeId}
 * in addition to the documented fields), {@code hub.errors.report} when a write accepted during an
 * outage is refused on replay. Requested: {@code hub.tokens.refresh}.
 *
 * <h2>{@code jobs.progress} (jsonb) as written here</h2>
 * The latest {@code job_progress} {@code data} object as sent (stage, entityType, processed, total,
 * message, resumeState, itemCounts, processingRate, ...) plus {@code updatedAt} (ISO instant);
 * {@code job_completed} merges {@code finalCounts}/{@code outputFiles}, {@code job_failed} merges
 * {@code partialCounts}; a discovery job gets {@code discovery: {summary, discovered, at, createdJobIds}}.
 */
package org.crawlerhub.jobs;
