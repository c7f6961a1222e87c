package org.crawlerhub.persistence;

import io.vertx.core.json.JsonObject;

/** A validated job to enqueue (SPEC §5 POST /api/jobs fields). {@code clientId} is null when the hub picks the id. */
public record NewJob(String clientId, String id, String entityType, String entityId, String fullPath,
    String jobType, String command, String accountId, String gitlabUrl, String accessToken,
    int priority, int maxAttempts, JsonObject resumeState, JsonObject metadata) {}
