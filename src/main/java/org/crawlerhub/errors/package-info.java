/**
 * Error management (SPEC §3.2): classification ({@link org.crawlerhub.errors.ErrorClassifier}),
 * sliding-window counts, threshold alerts and webhook, the retry policy for failed jobs
 * ({@link org.crawlerhub.errors.RetryPolicy}) and the {@code job_errors} log.
 *
 * <p>Deployment (by {@code app}): {@code new ErrorManagerVerticle(cfg)}, one instance per node is
 * enough ({@code cfg.instances().errors()}); with more, only the first deployed on a node derives
 * records from job/crawler events and sends retry decisions, and alert windows are per instance.
 */
package org.crawlerhub.errors;
