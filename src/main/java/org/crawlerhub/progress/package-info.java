/**
 * Progress aggregation (SPEC §3.1): per-job progress, per-crawler throughput and the fleet
 * {@code AggregateProgress}.
 *
 * <p>Deployment (by {@code app}): {@code cfg.instances().progress()} = P instances per node,
 * {@code new ProgressVerticle(cfg, i, P)} for i in 0..P-1, after the database is up (each reads
 * the {@code jobs} table once at start). Instance i owns the jobs with
 * {@code floorMod(jobId.hashCode(), P) == i}; any instance answers {@code hub.progress.get} and
 * forwards per-job questions to the owner on the node-local {@code hub.progress.get.<i>}.
 * Rate window, partial interval, partition TTL and the clock are in {@link
 * org.crawlerhub.progress.ProgressOptions} (defaults: 10 s, 500 ms, 5 s, system UTC).
 */
package org.crawlerhub.progress;
