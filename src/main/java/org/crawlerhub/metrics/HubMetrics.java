package org.crawlerhub.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.micrometer.backends.BackendRegistries;

/**
 * Every hub meter name, in one place (Prometheus renders dots as underscores and adds
 * {@code _total} to counters). The README's metrics table mirrors this class.
 */
public final class HubMetrics {
  private HubMetrics() {}

  /** counter {type, outcome=accepted|<error code>}: crawler->hub messages, counted once by the gateway. */
  public static final String MESSAGES_IN = "hub.messages.in";
  /** counter {type, outcome}: messages routed by the router (its own view, incl. bus-injected ones). */
  public static final String ROUTER_MESSAGES = "hub.router.messages";
  /** counter {type}: hub->crawler frames written. */
  public static final String MESSAGES_OUT = "hub.messages.out";
  /** gauge {transport=unix|tcp}: open crawler connections. */
  public static final String CONNECTIONS = "hub.connections";
  /** counter {transport, outcome=accepted|overloaded|unauthenticated}: connection attempts. */
  public static final String CONNECTIONS_OPENED = "hub.connections.opened";
  /** gauge: crawlers with a live connection on this node. */
  public static final String CRAWLERS_ACTIVE = "hub.crawlers.active";
  /** counter {from, to}: job lifecycle transitions (after they are durable). */
  public static final String JOB_TRANSITIONS = "hub.job.transitions";
  /** gauge {status}: jobs by status. */
  public static final String JOBS_BY_STATUS = "hub.jobs.queue";
  /** counter: leases expired (crawler gone or job stuck) and requeued. */
  public static final String LEASE_EXPIRIES = "hub.lease.expiries";
  /** timer: from router acceptance of job_progress to its hub.progress.job publish. */
  public static final String PROGRESS_PUBLISH_LAG = "hub.progress.publish.lag";
  /**
   * gauge {partition}: job-report batches offered to a progress aggregator partition while it was
   * busy, waiting for its own thread (0 while it keeps up: batches are then applied by the router).
   */
  public static final String PROGRESS_QUEUED = "hub.progress.queued";
  /** timer (with histogram buckets): a job_request in the jobs service, from arrival to its job_response. */
  public static final String JOB_REQUEST = "hub.job.request";
  /** distribution {kind}: rows per persistence batch. */
  public static final String PERSISTENCE_BATCH_SIZE = "hub.persistence.batch.size";
  /** timer {kind}: persistence batch latency. */
  public static final String PERSISTENCE_BATCH_LATENCY = "hub.persistence.batch.latency";
  /** gauge: writes buffered while PostgreSQL is unreachable. */
  public static final String PERSISTENCE_BUFFERED = "hub.persistence.buffered";
  /** counter {category, severity}: error records. */
  public static final String ERRORS = "hub.errors";
  /** counter {category}: threshold alerts raised. */
  public static final String ALERTS = "hub.errors.alerts";
  /** counter {code}: SSE clients dropped for being slow, etc. */
  public static final String SSE_CLIENTS = "hub.sse.clients";

  private static final MeterRegistry FALLBACK = new SimpleMeterRegistry();

  /** The Vert.x/Prometheus registry when metrics are enabled, else an in-memory one. */
  public static MeterRegistry registry() {
    MeterRegistry r = BackendRegistries.getDefaultNow();
    return r != null ? r : FALLBACK;
  }
}
