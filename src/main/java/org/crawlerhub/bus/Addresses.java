package org.crawlerhub.bus;

/**
 * Every event-bus address of the hub, in one place (SPEC §4). Bodies are {@code JsonObject} on
 * every address that may cross the cluster. The README's address table mirrors this class.
 * Bodies on the inbound partitions, {@link #JOBS_COMMAND} and {@link #CRAWLER_MESSAGE_PREFIX}
 * addresses are sent with {@link LocalJsonCodec} (shared with local consumers, not copied):
 * consumers read them and copy before changing anything.
 */
public final class Addresses {
  private Addresses() {}

  /** send, request/reply: decoded crawler envelope -> router. Headers: see {@link Headers}. */
  public static final String CRAWLER_INBOUND = "hub.crawler.inbound";
  /** Prefix of per-router-instance inbound partitions (gateway keeps per-connection order). */
  public static final String CRAWLER_INBOUND_PARTITION_PREFIX = "hub.crawler.inbound.";
  /**
   * Prefix of the batch form of the inbound partitions, node-local request/reply:
   * {@code {"batch":[envelope...]}} (all of one connection, headers as on the single form) ->
   * {@code {"replies":[{"frames":[...]}...]}}, one reply per envelope in order.
   */
  public static final String CRAWLER_INBOUND_BATCH_PREFIX = "hub.crawler.inbound-batch.";
  /**
   * Node-local shared-data map ({@code vertx.sharedData().getLocalMap}) naming the batch addresses
   * that have a consumer on this node (key: the address). A sender uses a batch address only
   * when it is listed here, else the single form.
   */
  public static final String BATCH_CONSUMERS = "hub.batch-consumers";
  /**
   * Node-local shared-data map: event-loop thread name -> index of the router partition running on
   * that event loop. A gateway connection sends to the partition on its own event loop when there
   * is one (the hand-over then stays on one thread: no wake-up, no cache misses), else by hash.
   */
  public static final String ROUTER_LANES = "hub.router-lanes";
  /** send: a hub->crawler message for one crawler, wherever it is connected. */
  public static final String CRAWLER_OUTBOUND_PREFIX = "hub.crawler.outbound.";
  /** publish: a hub->crawler message for every crawler. */
  public static final String CRAWLER_BROADCAST = "hub.crawler.broadcast";
  /** publish: connection events (connected, authenticated, disconnected, heartbeat_timeout, rejected, error). */
  public static final String CRAWLER_EVENTS = "hub.crawler.events";
  /** publish: every message accepted by the router, by type, except config {@code unpublishedMessageTypes}: {@code hub.crawler.message.<type>}. */
  public static final String CRAWLER_MESSAGE_PREFIX = "hub.crawler.message.";

  /**
   * publish, node-local: {@code JobReportBatch} — the job_started / job_progress / job_completed /
   * job_failed messages this node's router accepted from one connection in one batch, read once
   * into {@code JobReport}s, in receive order. The progress aggregators of this node consume it
   * instead of the envelopes on {@code hub.crawler.message.<type>} (which are still published, one
   * per message, for the types not in config {@code unpublishedMessageTypes}).
   */
  public static final String JOB_REPORTS_LOCAL = "hub.crawler.job-reports.local";
  /**
   * publish, cluster-wide, only while the node is clustered: the same batches as JSON
   * ({@code JobReportBatch.toJson()}: {nodeId, connectionId?, crawlerId?, reports:[{type, jobId,
   * timestamp?, data}]}, nodeId = the node whose router accepted them), so every node's aggregate
   * covers the whole fleet. A node skips its own batches here (it has them from the local address).
   */
  public static final String JOB_REPORTS = "hub.crawler.job-reports";
  /**
   * publish (cluster-wide): {@code {"heartbeats":[{connectionId, crawlerId, nodeId, envelope}...]}} —
   * the latest accepted heartbeat of each connection since the previous batch, from one router
   * partition, at most every {@link #HEARTBEAT_BATCH_MS}. The progress aggregator and the jobs
   * service consume this instead of {@code hub.crawler.message.heartbeat} (still published per
   * message): with 10,000 idle crawlers, two extra thread wake-ups per heartbeat were a third of
   * the hub's CPU.
   */
  public static final String CRAWLER_HEARTBEATS = "hub.crawler.heartbeats";
  /** Interval of {@link #CRAWLER_HEARTBEATS} batches per router partition. */
  public static final long HEARTBEAT_BATCH_MS = 250;
  /** publish: job lifecycle transitions {jobId, from, to, attempt, crawlerId, at, reason}. */
  public static final String JOB_EVENTS = "hub.job.events";
  /** request/reply: lifecycle commands from the router (job_request, job_started, ...). */
  public static final String JOBS_COMMAND = "hub.jobs.command";
  /**
   * Node-local request/reply, the batch form of {@link #JOBS_COMMAND}: {@code {"batch":[envelope...]}}
   * (same headers for all) -> {@code {"replies":[reply...]}}, one {@code JOBS_COMMAND} reply per
   * envelope in order. Listed in {@link #BATCH_CONSUMERS} while the jobs verticle runs.
   */
  public static final String JOBS_COMMAND_BATCH = "hub.jobs.command-batch";
  /** request/reply: enqueue one or many jobs. */
  public static final String JOBS_ENQUEUE = "hub.jobs.enqueue";
  /** request/reply: one job with its event history. */
  public static final String JOBS_GET = "hub.jobs.get";
  /** request/reply: list jobs with filters and cursor. */
  public static final String JOBS_LIST = "hub.jobs.list";
  /** request/reply: cancel a job. */
  public static final String JOBS_CANCEL = "hub.jobs.cancel";
  /** request/reply: retry a failed/dead/cancelled job. */
  public static final String JOBS_RETRY = "hub.jobs.retry";
  /** request/reply: mark a queued job assigned to a crawler (operator-sent job_assignment). */
  public static final String JOBS_ASSIGN = "hub.jobs.assign";
  /** request/reply: apply a retry decision made by the error manager to a failed job. */
  public static final String JOBS_APPLY_RETRY_POLICY = "hub.jobs.retry-policy";
  /** request/reply: job counts by status {queued, assigned, running, completed, failed, cancelled, dead}. */
  public static final String JOBS_STATS = "hub.jobs.stats";

  /** publish: that job's progress: {@code hub.progress.job.<jobId>}. */
  public static final String PROGRESS_JOB_PREFIX = "hub.progress.job.";
  /** publish: every job's progress update (firehose for SSE and dashboards), same body as per job. */
  public static final String PROGRESS_JOBS = "hub.progress.jobs";
  /** publish (>= 1/s while anything changes): AggregateProgress. */
  public static final String PROGRESS_AGGREGATE = "hub.progress.aggregate";
  /** publish: milestone reached {jobId, milestone, attempt, at}. */
  public static final String PROGRESS_MILESTONES = "hub.progress.milestones";
  /** publish: one node's partial aggregate, merged by every node (cluster-wide aggregate). */
  public static final String PROGRESS_PARTIAL = "hub.progress.partial";
  /** request/reply: {jobId} -> JobProgress, {jobIds:[..]} -> {jobs:[..]}, {} -> AggregateProgress. */
  public static final String PROGRESS_GET = "hub.progress.get";

  /** send/publish: raw error report from any component; the error manager classifies it. */
  public static final String ERRORS_REPORT = "hub.errors.report";
  /** publish: classified error records. */
  public static final String ERRORS = "hub.errors";
  /** publish: threshold alerts. */
  public static final String ERRORS_ALERTS = "hub.errors.alerts";
  /** request/reply: {category, severity, crawlerId, jobId, since, limit} -> {errors:[..], stats}. */
  public static final String ERRORS_QUERY = "hub.errors.query";

  /** request/reply: ServerStatus. */
  public static final String STATUS = "hub.status";
  /**
   * publish (cluster-wide, only when clustered): every node's status summary
   * {@code {nodeId, running, uptimeMs, connections, activeConnections, at}} every
   * {@code StatusVerticle.ANNOUNCE_MS}, and {@code {nodeId, leaving:true}} when it stops; each
   * node's {@code hub.status} answer lists the cluster from them.
   */
  public static final String STATUS_NODES = "hub.status.nodes";
  /**
   * publish, node-local (only when clustered): the {@code nodeId} (String) of a node that left the
   * Hazelcast cluster — stopped, or died without a word. Its crawlers' connections were never
   * announced closed; the jobs service treats them as closed now (their leases expire
   * {@code leaseGrace} later unless the crawler is connected elsewhere).
   */
  public static final String CLUSTER_NODE_LEFT = "hub.cluster.node-left";
  /** request/reply: ConnectionStats. */
  public static final String CONNECTIONS = "hub.connections";
  /** request/reply (provided by others, e.g. the web app): {jobId, crawlerId, ...} -> {accessToken, expiresAt?}. */
  public static final String TOKENS_REFRESH = "hub.tokens.refresh";

  /** request/reply, node-local: refuse new connections and send {@code shutdown} to every crawler. */
  public static final String GATEWAY_SHUTDOWN = "hub.gateway.shutdown";
  /** request/reply, node-local: the router's heartbeat state per crawler. */
  public static final String ROUTER_CRAWLERS = "hub.router.crawlers";

  /** {@code hub.status.<nodeId>}: one node's ServerStatus (in a cluster {@code hub.status} reaches any node). */
  public static String status(String nodeId) {
    return STATUS + "." + nodeId;
  }

  /** {@code hub.connections.<nodeId>}: one node's ConnectionStats. */
  public static String connections(String nodeId) {
    return CONNECTIONS + "." + nodeId;
  }

  /** {@code hub.progress.get.<partition>}: a progress partition's own answers (node-local). */
  public static String progressPartition(int partition) {
    return PROGRESS_GET + "." + partition;
  }

  public static String inboundPartition(int partition) {
    return CRAWLER_INBOUND_PARTITION_PREFIX + partition;
  }

  public static String inboundBatchPartition(int partition) {
    return CRAWLER_INBOUND_BATCH_PREFIX + partition;
  }

  public static String outbound(String crawlerId) {
    return CRAWLER_OUTBOUND_PREFIX + crawlerId;
  }

  public static String message(String type) {
    return CRAWLER_MESSAGE_PREFIX + type;
  }

  public static String jobProgress(String jobId) {
    return PROGRESS_JOB_PREFIX + jobId;
  }

  /** Header names used on inbound and accepted-message addresses. */
  public static final class Headers {
    private Headers() {}

    public static final String CONNECTION_ID = "connectionId";
    public static final String CRAWLER_ID = "crawlerId";
    public static final String NODE_ID = "nodeId";
    public static final String TRANSPORT = "transport";
  }
}
