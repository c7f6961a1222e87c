/**
 * PostgreSQL: {@link org.crawlerhub.persistence.Database} (embedded or external, Flyway migrations),
 * repositories holding their SQL as {@code $n}-parameterised constants ({@code JobRepository},
 * {@code AreaRepository}, {@code CrawlerSessionRepository}), the outage-tolerant
 * {@link org.crawlerhub.persistence.WriteBuffer}, and the shared {@link org.crawlerhub.persistence.RetryPolicy}.
 *
 * <p>Idempotency: every {@code job_events} row has a unique {@code event_key}
 * ({@code jobId:attempt:toStatus}), so a transition replayed after an ambiguous commit is
 * recognised instead of duplicated; discovery children are deduplicated by {@code jobs.dedupe_key}
 * and open jobs by (entity_type, entity_id, command).
 */
package org.crawlerhub.persistence;
