package org.crawlerhub.errors;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.crawlerhub.protocol.ErrorCategory;
import org.crawlerhub.protocol.Severity;

/** {@code job_errors}: batched inserts, pruning and the queries behind {@code hub.errors.query}. */
final class ErrorRepository {
  /** One fixed statement per batch (arrays unnested), idempotent by id. */
  static final String INSERT_BATCH =
      "INSERT INTO job_errors (id, at, category, severity, code, message, crawler_id, connection_id, job_id, "
          + "node_id, details) "
          + "SELECT id, at, category, severity, code, message, crawler_id, connection_id, job_id, node_id, "
          + "details::jsonb FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], "
          + "$6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[]) "
          + "AS t(id, at, category, severity, code, message, crawler_id, connection_id, job_id, node_id, details) "
          + "ON CONFLICT (id) DO NOTHING";
  static final String PRUNE = "DELETE FROM job_errors WHERE at < $1";

  /** Filters shared by every query: $1 category, $2 severity, $3 crawler, $4 job, $5 since. */
  private static final String FILTER = " FROM job_errors WHERE ($1::text IS NULL OR category = $1) "
      + "AND ($2::text IS NULL OR severity = $2) AND ($3::text IS NULL OR crawler_id = $3) "
      + "AND ($4::text IS NULL OR job_id = $4) AND ($5::timestamptz IS NULL OR at >= $5)";
  static final String SELECT_NEWEST =
      "SELECT id, at, category, severity, code, message, crawler_id, connection_id, job_id, node_id, details"
          + FILTER + " ORDER BY at DESC, id DESC LIMIT $6";
  static final String COUNT_BY_CATEGORY = "SELECT category AS k, count(*) AS n" + FILTER + " GROUP BY category";
  static final String COUNT_BY_SEVERITY = "SELECT severity AS k, count(*) AS n" + FILTER + " GROUP BY severity";
  static final String TOP_ERRORS = "SELECT coalesce(code, category) AS k, category, count(*) AS n, max(at) AS last_at, "
      + "(array_agg(message ORDER BY at DESC))[1] AS last_message" + FILTER
      + " GROUP BY coalesce(code, category), category ORDER BY n DESC, k LIMIT 10";
  /** Per-minute counts from $6 on (trend and rate). */
  static final String PER_MINUTE = "SELECT date_trunc('minute', at) AS minute, count(*) AS n" + FILTER
      + " AND at >= $6 GROUP BY 1 ORDER BY 1";

  /** Key in the stored details that carries fields the table has no column for. */
  static final String META = "_hub";

  private final Pool pool;

  ErrorRepository(Pool pool) {
    this.pool = pool;
  }

  Future<Integer> insert(List<ErrorRecord> batch) {
    int n = batch.size();
    String[] ids = new String[n];
    OffsetDateTime[] at = new OffsetDateTime[n];
    String[] category = new String[n];
    String[] severity = new String[n];
    String[] code = new String[n];
    String[] message = new String[n];
    String[] crawler = new String[n];
    String[] connection = new String[n];
    String[] job = new String[n];
    String[] node = new String[n];
    String[] details = new String[n];
    for (int i = 0; i < n; i++) {
      ErrorRecord r = batch.get(i);
      ids[i] = r.id();
      at[i] = OffsetDateTime.ofInstant(r.timestamp(), ZoneOffset.UTC);
      category[i] = r.category().wire();
      severity[i] = r.severity().wire();
      code[i] = r.code();
      message[i] = r.message();
      crawler[i] = r.crawlerId();
      connection[i] = r.connectionId();
      job[i] = r.jobId();
      node[i] = r.nodeId();
      JsonObject d = r.details() == null ? new JsonObject() : r.details().copy();
      d.put(META, new JsonObject().put("source", r.source()).put("retryable", r.retryable()));
      details[i] = d.encode();
    }
    Tuple t = Tuple.tuple().addArrayOfString(ids).addArrayOfOffsetDateTime(at).addArrayOfString(category)
        .addArrayOfString(severity).addArrayOfString(code).addArrayOfString(message).addArrayOfString(crawler)
        .addArrayOfString(connection).addArrayOfString(job).addArrayOfString(node).addArrayOfString(details);
    return pool.preparedQuery(INSERT_BATCH).execute(t).map(rs -> rs.rowCount());
  }

  Future<Integer> prune(Instant olderThan) {
    return pool.preparedQuery(PRUNE).execute(Tuple.of(OffsetDateTime.ofInstant(olderThan, ZoneOffset.UTC)))
        .map(rs -> rs.rowCount());
  }

  /** Filters of {@code hub.errors.query}. */
  record Filter(String category, String severity, String crawlerId, String jobId, Instant since, int limit) {
    Tuple tuple() {
      return Tuple.of(category, severity, crawlerId, jobId,
          since == null ? null : OffsetDateTime.ofInstant(since, ZoneOffset.UTC));
    }
  }

  Future<JsonArray> newest(Filter f) {
    return pool.preparedQuery(SELECT_NEWEST).execute(f.tuple().addInteger(f.limit())).map(rows -> {
      JsonArray out = new JsonArray();
      rows.forEach(r -> out.add(toRecord(r).toJson()));
      return out;
    });
  }

  Future<JsonObject> countBy(String sql, Filter f) {
    return pool.preparedQuery(sql).execute(f.tuple()).map(rows -> {
      JsonObject out = new JsonObject();
      rows.forEach(r -> out.put(r.getString("k"), r.getLong("n")));
      return out;
    });
  }

  Future<JsonArray> topErrors(Filter f) {
    return pool.preparedQuery(TOP_ERRORS).execute(f.tuple()).map(rows -> {
      JsonArray out = new JsonArray();
      rows.forEach(r -> out.add(new JsonObject().put("code", r.getString("k")).put("category", r.getString("category"))
          .put("count", r.getLong("n")).put("lastAt", r.getOffsetDateTime("last_at").toInstant().toString())
          .put("lastMessage", r.getString("last_message"))));
      return out;
    });
  }

  /** {minuteStart ISO -> count} from {@code from} on. */
  Future<JsonObject> perMinute(Filter f, Instant from) {
    return pool.preparedQuery(PER_MINUTE).execute(f.tuple().addOffsetDateTime(OffsetDateTime.ofInstant(from, ZoneOffset.UTC)))
        .map(rows -> {
          JsonObject out = new JsonObject();
          rows.forEach(r -> out.put(r.getOffsetDateTime("minute").toInstant().toString(), r.getLong("n")));
          return out;
        });
  }

  static ErrorRecord toRecord(Row r) {
    Object raw = r.getValue("details");
    JsonObject details = raw instanceof JsonObject j ? j.copy() : new JsonObject();
    JsonObject meta = details.getValue(META) instanceof JsonObject m ? m : new JsonObject();
    details.remove(META);
    return new ErrorRecord(r.getString("id"), r.getOffsetDateTime("at").toInstant(),
        ErrorCategory.fromWire(r.getString("category")), Severity.fromWire(r.getString("severity")),
        r.getString("code"), r.getString("message"), r.getString("crawler_id"), r.getString("connection_id"),
        r.getString("job_id"), r.getString("node_id"), meta.getString("source"),
        meta.getBoolean("retryable", false), details);
  }
}
