package org.crawlerhub.persistence;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.List;

/** {@code crawler_sessions}: one row per connection, kept current from connection events and heartbeats. */
public final class CrawlerSessionRepository {

  public static final String OPEN = """
      INSERT INTO crawler_sessions (connection_id, crawler_id, node_id, transport, version, capabilities,
        connected_at, last_seen_at)
      VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $7)
      ON CONFLICT (connection_id) DO UPDATE SET crawler_id = EXCLUDED.crawler_id,
        version = coalesce(EXCLUDED.version, crawler_sessions.version),
        capabilities = coalesce(EXCLUDED.capabilities, crawler_sessions.capabilities),
        last_seen_at = EXCLUDED.last_seen_at""";

  public static final String CLOSE = """
      INSERT INTO crawler_sessions (connection_id, crawler_id, node_id, transport, connected_at, last_seen_at,
        disconnected_at, disconnect_reason)
      VALUES ($1, $2, $3, $4, $5, $5, $5, $6)
      ON CONFLICT (connection_id) DO UPDATE SET disconnected_at = EXCLUDED.disconnected_at,
        disconnect_reason = EXCLUDED.disconnect_reason, last_seen_at = EXCLUDED.last_seen_at""";

  /** Closes every session still open on a node that is gone ({@code $1}), with reason {@code $2}. */
  public static final String CLOSE_NODE = """
      UPDATE crawler_sessions SET disconnected_at = now(), disconnect_reason = $2
      WHERE node_id = $1 AND disconnected_at IS NULL""";

  /** Closed sessions older than {@code $1} ms, at most {@code $2} of them. */
  public static final String PRUNE_CLOSED = """
      DELETE FROM crawler_sessions WHERE connection_id IN (
        SELECT connection_id FROM crawler_sessions
        WHERE disconnected_at < now() - $1::bigint * interval '1 millisecond'
        LIMIT $2)""";

  /** Latest heartbeat of many connections in one statement. */
  public static final String HEARTBEATS = """
      UPDATE crawler_sessions s SET system_status = u.status, active_jobs = u.active,
        total_processed = u.processed, last_seen_at = greatest(s.last_seen_at, u.at)
      FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::timestamptz[])
        AS u(connection_id, status, active, processed, at)
      WHERE s.connection_id = u.connection_id""";

  /** The latest heartbeat of one connection. */
  public record Heartbeat(String connectionId, String systemStatus, Integer activeJobs, Long totalProcessed,
      OffsetDateTime at) {}

  private final Pool pool;

  public CrawlerSessionRepository(Pool pool) {
    this.pool = pool;
  }

  public Future<Void> open(String connectionId, String crawlerId, String nodeId, String transport, String version,
      JsonArray capabilities, OffsetDateTime at) {
    return pool.preparedQuery(OPEN).execute(Tuple.tuple().addValue(connectionId).addValue(crawlerId)
        .addValue(nodeId).addValue(transport).addValue(version)
        .addValue(capabilities).addValue(at)).mapEmpty();
  }

  public Future<Void> close(String connectionId, String crawlerId, String nodeId, String transport,
      OffsetDateTime at, String reason) {
    return pool.preparedQuery(CLOSE).execute(Tuple.tuple().addValue(connectionId).addValue(crawlerId)
        .addValue(nodeId).addValue(transport).addValue(at).addValue(reason)).mapEmpty();
  }

  /** Closes the sessions a departed node left open; the number closed. */
  public Future<Integer> closeNode(String nodeId, String reason) {
    return pool.preparedQuery(CLOSE_NODE).execute(Tuple.of(nodeId, reason)).map(RowSet::rowCount);
  }

  /** Deletes up to {@code limit} sessions closed more than {@code maxAgeMs} ago; how many. */
  public Future<Integer> pruneClosed(long maxAgeMs, int limit) {
    return pool.preparedQuery(PRUNE_CLOSED).execute(Tuple.of(maxAgeMs, limit)).map(RowSet::rowCount);
  }

  public Future<Integer> heartbeats(List<Heartbeat> batch) {
    int n = batch.size();
    String[] ids = new String[n];
    String[] status = new String[n];
    Integer[] active = new Integer[n];
    Long[] processed = new Long[n];
    OffsetDateTime[] at = new OffsetDateTime[n];
    for (int i = 0; i < n; i++) {
      Heartbeat h = batch.get(i);
      ids[i] = h.connectionId();
      status[i] = h.systemStatus();
      active[i] = h.activeJobs();
      processed[i] = h.totalProcessed();
      at[i] = h.at();
    }
    return pool.preparedQuery(HEARTBEATS).execute(Tuple.tuple().addArrayOfString(ids).addArrayOfString(status)
        .addArrayOfInteger(active).addArrayOfLong(processed).addArrayOfTemporal(at)).map(RowSet::rowCount);
  }
}
