package org.crawlerhub.sim;

/**
 * Options of {@link FleetSimulator} ({@code --key=value}). Every run is bounded in time
 * ({@code --duration-s}) and in work ({@code --jobs-per-crawler}); it stops by itself.
 */
public record SimOptions(
    String socketPath,
    String host,
    int port,
    String token,
    int crawlers,
    int idleConnections,
    long heartbeatMs,
    double rate,
    int progressPerJob,
    int jobsPerCrawler,
    long durationS,
    double failShare,
    double recoverableShare,
    double tokenRefreshShare,
    int discoveredPerJob,
    int maxJobs,
    boolean hello,
    boolean fakeJobs,
    int enqueue,
    double enqueueAreasShare,
    String api,
    String adminToken,
    String gitlabUrl,
    long idlePollMs,
    int connectConcurrency,
    int eventLoops,
    String progress,
    String crawlerPrefix,
    long drainTimeoutS,
    long seed,
    double crashShare,
    long restartMs,
    long totalJobs,
    long reconnectMs) {

  public static final String USAGE = """
      FleetSimulator: N simulated GitLab crawlers against the hub (or the BaselineServer).
        --socket=PATH | --host=127.0.0.1 --port=7070 --token=T   transport (Unix socket or loopback TCP)
                                 --socket=A,B,...: several hub nodes; crawler i starts on node i mod n
                                 and a crashed crawler restarts on the next node
        --crawlers=10            simulated crawlers (one connection each)
        --jobs-per-crawler=10    jobs each crawler works before it stops
        --total-jobs=0           the whole fleet stops once this many jobs are finished (0 = no such bound)
        --duration-s=60          hard time bound of the run
        --progress-per-job=20    job_progress messages per job
        --rate=0                 messages/s per crawler (0 = as fast as possible)
        --heartbeat-ms=5000      heartbeat period
        --max-jobs=1             maxJobs of each job_request
        --fail-share=0.1         share of jobs answered with job_failed (else job_completed)
        --recoverable-share=0.5  share of failures with isRecoverable=true
        --token-refresh-share=0.05  share of jobs that send a token_refresh_request
        --discovered-per-job=10  entries of jobs_discovered for discovery jobs (entityType areas)
        --hello=true             send hello first (required on TCP)
        --fake-jobs=false        work on made-up job ids when the server hands out none (BaselineServer)
        --enqueue=0 --api=http://127.0.0.1:8080 --admin-token=T   enqueue N jobs via POST /api/jobs first
        --enqueue-areas-share=0.1   share of enqueued jobs that are discovery (areas) jobs
        --idle-connections=0     scale mode: hold N idle connections (hello + heartbeats only)
        --connect-concurrency=256   connection attempts in flight
        --event-loops=<cores>    client event loops
        --progress=auto          auto | bar | lines | off
        --idle-poll-ms=500       wait before asking again after an empty job_response
        --drain-timeout-s=10     how long to wait for the final barrier replies
        --crash-share=0          share of jobs during which the crawler crashes: its connection drops
                                 mid-job without a word, the hub must expire the lease and requeue
        --restart-ms=1000        a crashed crawler reconnects after this long as <id>.r<n> (a new id)
        --reconnect-ms=0         a connection the hub closed is opened again after this long, to the
                                 next node, same id, same job in hand; after a shutdown frame the
                                 crawler hands its jobs back, leaves, and comes back the same way
                                 (0 = the crawler ends)
        --crawler-prefix=sim --seed=1 --gitlab-url=https://gitlab.example.test
      """;

  public static SimOptions from(CliArgs a) {
    int idle = a.integer("idle-connections", 0);
    SimOptions o = new SimOptions(
        a.string("socket", null),
        a.string("host", "127.0.0.1"),
        a.integer("port", 0),
        a.string("token", null),
        a.integer("crawlers", idle > 0 ? idle : 10),
        idle,
        a.longValue("heartbeat-ms", 5000),
        a.decimal("rate", 0),
        a.integer("progress-per-job", 20),
        a.integer("jobs-per-crawler", 10),
        a.longValue("duration-s", 60),
        a.decimal("fail-share", 0.1),
        a.decimal("recoverable-share", 0.5),
        a.decimal("token-refresh-share", 0.05),
        a.integer("discovered-per-job", 10),
        a.integer("max-jobs", 1),
        a.bool("hello", true),
        a.bool("fake-jobs", false),
        a.integer("enqueue", 0),
        a.decimal("enqueue-areas-share", 0.1),
        a.string("api", "http://127.0.0.1:8080"),
        a.string("admin-token", System.getenv("HUB_ADMIN_TOKEN")),
        a.string("gitlab-url", "https://gitlab.example.test"),
        a.longValue("idle-poll-ms", 500),
        a.integer("connect-concurrency", 256),
        a.integer("event-loops", Runtime.getRuntime().availableProcessors()),
        a.string("progress", "auto"),
        a.string("crawler-prefix", "sim"),
        a.longValue("drain-timeout-s", 10),
        a.longValue("seed", 1),
        a.decimal("crash-share", 0),
        a.longValue("restart-ms", 1000),
        a.longValue("total-jobs", 0),
        a.longValue("reconnect-ms", 0));
    o.check();
    return o;
  }

  public boolean idleMode() {
    return idleConnections > 0;
  }

  public boolean tcp() {
    return socketPath == null;
  }

  /** The Unix socket paths of {@code --socket} (one per hub node). */
  public java.util.List<String> socketPaths() {
    return socketPath == null ? java.util.List.of() : java.util.List.of(socketPath.split(","));
  }

  void check() {
    if (socketPath == null && port <= 0) {
      throw new IllegalArgumentException("give --socket=PATH or --port=N (loopback TCP)");
    }
    if (tcp() && !isLoopback(host)) {
      throw new IllegalArgumentException("--host must be a loopback address, got " + host);
    }
    if (tcp() && !hello) {
      throw new IllegalArgumentException("TCP requires hello (SPEC 1.6): drop --hello=false");
    }
    if (enqueue > 0 && !isLoopbackUrl(api)) {
      throw new IllegalArgumentException("--api must point at a loopback address, got " + api);
    }
    if (crawlers < 1 || durationS < 1 || jobsPerCrawler < 0 || progressPerJob < 0 || maxJobs < 0
        || heartbeatMs < 1 || connectConcurrency < 1 || eventLoops < 1) {
      throw new IllegalArgumentException("counts must be positive");
    }
    if (crashShare < 0 || crashShare > 1 || restartMs < 0 || totalJobs < 0 || reconnectMs < 0) {
      throw new IllegalArgumentException("--crash-share is a share in [0, 1], --restart-ms, --reconnect-ms and --total-jobs at least 0");
    }
  }

  static boolean isLoopback(String host) {
    return host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("[::1]");
  }

  static boolean isLoopbackUrl(String url) {
    try {
      String h = java.net.URI.create(url).getHost();
      return h != null && isLoopback(h);
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
