package org.crawlerhub.persistence;

/** The lease-relevant columns of one job. */
public record LeaseRow(String jobId, String status, String owner, int attempt, int maxAttempts) {}
