package org.crawlerhub.persistence;

/** A job spawned by a discovery: inherits account, GitLab URL and token from its parent. */
public record ChildJob(String id, int priority, String jobType, String command, String entityType,
    String entityId, String fullPath, String metadataJson, String dedupeKey) {}
