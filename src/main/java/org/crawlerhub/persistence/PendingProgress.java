package org.crawlerhub.persistence;

import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;

/**
 * The latest progress of one job waiting for the next coalesced flush, fenced by owner and attempt.
 * {@code extendLeaseMs > 0} extends the lease to at least now + that much (0: leave it).
 */
public record PendingProgress(String jobId, String owner, int attempt, JsonObject progress,
    JsonObject resumeState, OffsetDateTime at, long extendLeaseMs) {}
