package org.crawlerhub.persistence;

/** A job moved by the scanner (lease expired, stuck, or retry due): from -> to at {@code attempt}. */
public record ExpiredJob(String jobId, String from, String to, int attempt, int maxAttempts,
    String crawlerId, String reason) {}
