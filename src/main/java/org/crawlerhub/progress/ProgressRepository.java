package org.crawlerhub.progress;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.crawlerhub.protocol.IsoInstants;

/**
 * Reads what the aggregator needs after a restart from the {@code jobs} table (owned and written
 * by the jobs verticle): status counts and the rows of open or recently changed jobs, from one
 * consistent snapshot so counts and rows agree.
 */
final class ProgressRepository {
  static final String REPEATABLE_READ = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY";
  static final String COUNT_BY_STATUS = "SELECT status, count(*) AS n FROM jobs GROUP BY status";
  /** Open jobs, plus recently changed ones so events racing the snapshot are recognised as applied. */
  static final String OPEN_AND_RECENT_JOBS =
      "SELECT id, status, attempt, lease_owner, progress, resume_state, started_at, finished_at, updated_at "
          + "FROM jobs WHERE status IN ('queued','assigned','running','failed') "
          + "OR updated_at > now() - interval '5 minutes'";

  record JobRow(String id, String status, int attempt, String leaseOwner, JsonObject progress,
      JsonObject resumeState, long startedAtMs, long finishedAtMs, long updatedAtMs) {}

  record Snapshot(Map<String, Long> counts, List<JobRow> rows) {}

  private final Pool pool;

  ProgressRepository(Pool pool) {
    this.pool = pool;
  }

  Future<Snapshot> load() {
    return pool.withTransaction(conn -> conn.query(REPEATABLE_READ).execute()
        .compose(v -> conn.query(COUNT_BY_STATUS).execute())
        .compose(countRows -> {
          Map<String, Long> counts = new LinkedHashMap<>();
          countRows.forEach(r -> counts.put(r.getString("status"), r.getLong("n")));
          return conn.query(OPEN_AND_RECENT_JOBS).execute().map(rows -> {
            List<JobRow> out = new ArrayList<>();
            rows.forEach(r -> out.add(toJobRow(r)));
            return new Snapshot(counts, out);
          });
        }));
  }

  private static JobRow toJobRow(Row r) {
    return new JobRow(r.getString("id"), r.getString("status"), r.getInteger("attempt"),
        r.getString("lease_owner"), jsonObject(r.getValue("progress")),
        jsonObject(r.getValue("resume_state")), millis(r.getOffsetDateTime("started_at")),
        millis(r.getOffsetDateTime("finished_at")), millis(r.getOffsetDateTime("updated_at")));
  }

  private static JsonObject jsonObject(Object v) {
    return v instanceof JsonObject j ? j : null;
  }

  private static long millis(OffsetDateTime t) {
    return t == null ? IsoInstants.UNKNOWN : t.toInstant().toEpochMilli();
  }
}
