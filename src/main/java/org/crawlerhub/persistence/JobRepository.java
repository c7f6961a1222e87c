package org.crawlerhub.persistence;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.crawlerhub.protocol.ErrorCode;

/**
 * SQL of the {@code jobs} and {@code job_events} tables. Every statement is a {@code $n}
 * parameterised constant; batches use one fixed {@code unnest} statement. Every transition writes
 * its event row in the same statement or transaction, keyed by {@link Transition#eventKey} so a
 * replay cannot duplicate it.
 */
public final class JobRepository {

  /** Columns of the Job shape (never the access token). */
  static final String JOB_COLUMNS = "id, status, priority, job_type, command, entity_type, entity_id, full_path, "
      + "account_id, gitlab_url, resume_state, progress, metadata, attempt, max_attempts, lease_owner, "
      + "lease_expires_at, not_before, spawned_from, created_at, updated_at, started_at, finished_at";

  static final String EVENT_INSERT = "INSERT INTO job_events (job_id, from_status, to_status, attempt, crawler_id, "
      + "reason, node_id, details, event_key) ";

  /**
   * Claims for several crawlers in one statement: {@code $1} crawler ids (each at most once),
   * {@code $2} how many each asks for. Each gets at most what keeps it within {@code $3} leases;
   * the slots are filled in request order with the queue's best jobs (priority, then age), so
   * earlier requests get better jobs, as one statement each in that order would; {@code SKIP LOCKED}
   * so concurrent claims (other nodes) never overlap. Rows come back in queue order with
   * {@code lease_owner} saying whose they are.
   */
  /**
   * The end of a statement whose CTE {@code upd} moved jobs (RETURNING id, from_status, to_status,
   * attempt, max_attempts, lease_owner, reason): one event row per move ({@code nodeParam}: the
   * node's parameter), none twice (event_key), and the moves as the result.
   */
  private static String eventsOfMoves(String nodeParam) {
    return """
      ), ev AS (
        INSERT INTO job_events (job_id, from_status, to_status, attempt, crawler_id, reason, node_id, event_key)
        SELECT id, from_status, to_status, attempt, lease_owner, reason, %s, id || ':' || attempt || ':' || to_status
        FROM upd ON CONFLICT (event_key) DO NOTHING
      )
      SELECT * FROM upd""".formatted(nodeParam);
  }

  public static final String CLAIM = """
      WITH req AS (
        SELECT r.crawler, r.want, r.ord FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS r(crawler, want, ord)
      ), held AS (
        SELECT lease_owner, count(*)::int AS n FROM jobs
        WHERE lease_owner = ANY($1::text[]) AND status IN ('assigned','running') GROUP BY lease_owner
      ), slots AS (
        SELECT req.crawler, row_number() OVER (ORDER BY req.ord, s.i) AS slot
        FROM req LEFT JOIN held ON held.lease_owner = req.crawler
        CROSS JOIN LATERAL generate_series(1, greatest(0, least(req.want, $3::int - coalesce(held.n, 0)))) AS s(i)
      ), picked AS (
        SELECT q.id, row_number() OVER (ORDER BY q.priority DESC, q.created_at, q.id) AS slot
        FROM (
          SELECT id, priority, created_at FROM jobs
          WHERE status = 'queued' AND (not_before IS NULL OR not_before <= now())
          ORDER BY priority DESC, created_at, id
          LIMIT (SELECT count(*) FROM slots)
          FOR UPDATE SKIP LOCKED
        ) q
      ), claimed AS (
        UPDATE jobs j SET status = 'assigned', lease_owner = slots.crawler,
          lease_expires_at = now() + $4::bigint * interval '1 millisecond',
          last_message_at = now(), updated_at = now(), not_before = NULL
        FROM picked JOIN slots ON slots.slot = picked.slot
        WHERE j.id = picked.id
        RETURNING j.id, j.lease_owner, j.entity_type, j.entity_id, j.gitlab_url, j.access_token, j.resume_state,
          j.attempt, j.max_attempts, j.priority, j.created_at
      ), ev AS (
        INSERT INTO job_events (job_id, from_status, to_status, attempt, crawler_id, reason, node_id, details, event_key)
        SELECT id, 'queued', 'assigned', attempt, lease_owner, 'job_request', $5, jsonb_build_object('claim', $6::text),
          id || ':' || attempt || ':assigned'
        FROM claimed ON CONFLICT (event_key) DO NOTHING
      )
      SELECT * FROM claimed ORDER BY priority DESC, created_at, id""";

  /**
   * Requeues the jobs of claim statements ({@code $2}: their claim tokens, for crawlers {@code $1})
   * whose outcome the hub never learnt — the connection broke after PostgreSQL committed, and the
   * crawlers were answered with no jobs. They are still {@code assigned} to crawlers that do not
   * know of them and would keep renewing those leases until {@code jobTimeout}. Back to the queue
   * as a new attempt (every move back to queued is one), never dead for it. Found through the
   * lease-owner index and the claim's event row ({@code event_key}, {@code details.claim}).
   */
  public static final String RELEASE_UNANSWERED_CLAIMS = """
      WITH lost AS (
        SELECT j.id, j.lease_owner FROM jobs j
        JOIN job_events e ON e.event_key = j.id || ':' || j.attempt || ':assigned'
        WHERE j.lease_owner = ANY($1::text[]) AND j.status = 'assigned' AND e.details ->> 'claim' = ANY($2::text[])
        FOR UPDATE OF j SKIP LOCKED
      ), upd AS (
        UPDATE jobs j SET status = 'queued', attempt = j.attempt + 1,
          max_attempts = greatest(j.max_attempts, j.attempt + 1),
          lease_owner = NULL, lease_expires_at = NULL, not_before = NULL, updated_at = now()
        FROM lost WHERE j.id = lost.id
        RETURNING j.id, 'assigned' AS from_status, j.status AS to_status, j.attempt, j.max_attempts,
          lost.lease_owner, 'claim_unanswered' AS reason
      """ + eventsOfMoves("$3");

  public static final String LOAD_LEASE =
      "SELECT id, status, lease_owner, attempt, max_attempts FROM jobs WHERE id = $1";

  /** Fenced transition plus its event row in one statement. */
  public static final String TRANSITION = """
      WITH upd AS (
        UPDATE jobs SET status = $3::text, updated_at = now(), last_message_at = now(),
          started_at = CASE WHEN $3::text IN ('running','completed','failed') THEN coalesce(started_at, now())
                            ELSE started_at END,
          finished_at = CASE WHEN $3::text IN ('completed','dead','cancelled') THEN now() ELSE finished_at END,
          progress = CASE WHEN $7::jsonb IS NULL THEN progress ELSE coalesce(progress, '{}'::jsonb) || $7::jsonb END,
          resume_state = coalesce($8::jsonb, resume_state)
        WHERE id = $1 AND status = $2 AND attempt = $4 AND lease_owner IS NOT DISTINCT FROM $5
        RETURNING id, attempt, max_attempts
      ), ev AS (
        INSERT INTO job_events (job_id, from_status, to_status, attempt, crawler_id, reason, node_id, details, event_key)
        SELECT id, $2, $3::text, attempt, $5, $6, $9, $10::jsonb, $11 FROM upd
        ON CONFLICT (event_key) DO NOTHING
      )
      SELECT max_attempts FROM upd""";

  public static final String EVENT_EXISTS = "SELECT 1 FROM job_events WHERE event_key = $1";

  /**
   * Coalesced progress of many running jobs, fenced by lease owner and attempt; extends their leases
   * to now + {@code extend_ms}, but only once they are more than a tenth of that behind it: a lease
   * then never runs out while progress flows (it stays at least 0.9 × extend_ms ahead), and the
   * flushes in between change no indexed column, so PostgreSQL can update the row in place (HOT: no
   * new entry in any of the table's nine indexes, dead versions pruned as the page is read).
   *
   * <p>It never waits for a row lock: a row another transaction holds (a lifecycle transition of
   * that job being committed) is skipped, and only the ids written come back; the caller keeps the
   * others that still hold this lease for its next flush. Waiting would hold the rows updated so far
   * while the transition's transaction may want one of them for its next write: a deadlock, which
   * PostgreSQL breaks only after {@code deadlock_timeout} (1 s), with every other write to those rows
   * queued behind it (bench/RESULTS.md). The row locks cost ~20 % more than the plain update (pgbench,
   * 64 rows: 1.30–1.37 against 1.07–1.14 ms).
   */
  public static final String FLUSH_PROGRESS = """
      WITH mine AS (
        SELECT j.id, u.progress, u.resume_state, u.at, u.extend_ms
        FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::int[], $6::text[], $7::bigint[])
          AS u(id, progress, resume_state, at, attempt, owner, extend_ms)
        JOIN jobs j ON j.id = u.id AND j.attempt = u.attempt AND j.lease_owner = u.owner AND j.status = 'running'
        FOR UPDATE OF j SKIP LOCKED
      )
      UPDATE jobs j SET progress = coalesce(j.progress, '{}'::jsonb) || m.progress::jsonb,
        resume_state = coalesce(m.resume_state::jsonb, j.resume_state),
        last_message_at = greatest(j.last_message_at, m.at), updated_at = now(),
        lease_expires_at = CASE WHEN m.extend_ms > 0
            AND coalesce(j.lease_expires_at, '-infinity') < now() + m.extend_ms * 0.9 * interval '1 millisecond'
          THEN greatest(j.lease_expires_at, now() + m.extend_ms * interval '1 millisecond')
          ELSE j.lease_expires_at END
      FROM mine m WHERE j.id = m.id
      RETURNING j.id""";

  /**
   * The periodic renewal of the live leases of the given crawlers to now + {@code $2} ms. Rows another
   * transaction holds (a transition of that job being committed) are skipped, not waited for: a
   * statement over many rows that waits holds the rows it updated, and a write-buffer lane's
   * transaction holding one row and wanting another makes a deadlock (broken only after
   * {@code deadlock_timeout}, 1 s). A skipped lease is renewed by the next round: renewals come every
   * {@code heartbeatInterval}, the lease lasts {@code heartbeatTimeout} + {@code leaseGrace}.
   */
  public static final String RENEW_LEASES = """
      UPDATE jobs SET lease_expires_at = now() + $2::bigint * interval '1 millisecond'
      WHERE id IN (SELECT id FROM jobs WHERE lease_owner = ANY($1::text[]) AND status IN ('assigned','running')
                   FOR UPDATE SKIP LOCKED)""";

  /**
   * Cuts every live lease of the given crawlers to at most now + {@code $2} ms (never extends one):
   * crawlers whose node left the cluster before it could record their disconnect.
   */
  public static final String CAP_LEASE_EXPIRY = """
      UPDATE jobs SET lease_expires_at = least(lease_expires_at, now() + $2::bigint * interval '1 millisecond')
      WHERE lease_owner = ANY($1::text[]) AND status IN ('assigned','running')
        AND lease_expires_at > now() + $2::bigint * interval '1 millisecond'""";

  /** Sets the lease expiry of every live lease of the given crawlers to now + {@code $2} ms. */
  public static final String SET_LEASE_EXPIRY = """
      UPDATE jobs SET lease_expires_at = now() + $2::bigint * interval '1 millisecond'
      WHERE lease_owner = ANY($1::text[]) AND status IN ('assigned','running')""";

  /**
   * Requeues (or kills, out of attempts) jobs whose lease expired or that sent nothing for
   * {@code $1} ms. Row locks + the re-checked WHERE make it exactly-once across instances.
   */
  public static final String EXPIRE_LEASES = """
      WITH old AS (
        SELECT id, status, lease_owner,
          CASE WHEN lease_expires_at < now() THEN 'lease_expired' ELSE 'stuck' END AS reason
        FROM jobs
        WHERE status IN ('assigned','running')
          AND (lease_expires_at < now()
               OR coalesce(last_message_at, updated_at) < now() - $1::bigint * interval '1 millisecond')
        ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
      ), upd AS (
        UPDATE jobs j SET
          status = CASE WHEN j.attempt >= j.max_attempts THEN 'dead' ELSE 'queued' END,
          attempt = CASE WHEN j.attempt >= j.max_attempts THEN j.attempt ELSE j.attempt + 1 END,
          finished_at = CASE WHEN j.attempt >= j.max_attempts THEN now() ELSE NULL END,
          lease_owner = NULL, lease_expires_at = NULL, not_before = NULL, updated_at = now()
        FROM old WHERE j.id = old.id
        RETURNING j.id, old.status AS from_status, j.status AS to_status, j.attempt, j.max_attempts,
          old.lease_owner, old.reason
      """ + eventsOfMoves("$3");

  /** Failed jobs whose retry delay has passed go back to the queue with attempt + 1. */
  public static final String DUE_RETRIES = """
      WITH old AS (
        SELECT id, lease_owner FROM jobs WHERE status = 'failed' AND not_before <= now()
        ORDER BY not_before LIMIT $1 FOR UPDATE SKIP LOCKED
      ), upd AS (
        UPDATE jobs j SET
          status = CASE WHEN j.attempt >= j.max_attempts THEN 'dead' ELSE 'queued' END,
          attempt = CASE WHEN j.attempt >= j.max_attempts THEN j.attempt ELSE j.attempt + 1 END,
          finished_at = CASE WHEN j.attempt >= j.max_attempts THEN now() ELSE NULL END,
          lease_owner = NULL, lease_expires_at = NULL, not_before = NULL, updated_at = now()
        FROM old WHERE j.id = old.id
        RETURNING j.id, 'failed' AS from_status, j.status AS to_status, j.attempt, j.max_attempts,
          old.lease_owner, 'retry' AS reason
      """ + eventsOfMoves("$2");

  public static final String SELECT_FOR_UPDATE =
      "SELECT " + JOB_COLUMNS + " FROM jobs WHERE id = $1 FOR UPDATE";

  public static final String SELECT_JOB = "SELECT " + JOB_COLUMNS + " FROM jobs WHERE id = $1";

  public static final String SELECT_EVENTS = """
      SELECT at, from_status, to_status, attempt, crawler_id, reason, details
      FROM job_events WHERE job_id = $1 ORDER BY id""";

  /** Moves a job (already locked) to {@code $2}; the caller decided the move is legal. */
  public static final String API_TRANSITION = """
      UPDATE jobs SET status = $2::text, updated_at = now(),
        attempt = $3,
        max_attempts = greatest(max_attempts, $4),
        lease_owner = CASE WHEN $2::text = 'assigned' THEN $5 WHEN $2::text = 'queued' THEN NULL ELSE lease_owner END,
        lease_expires_at = CASE WHEN $2::text = 'assigned' THEN now() + $6::bigint * interval '1 millisecond'
                                ELSE NULL END,
        last_message_at = CASE WHEN $2::text = 'assigned' THEN now() ELSE last_message_at END,
        not_before = NULL,
        finished_at = CASE WHEN $2::text IN ('completed','dead','cancelled') THEN now()
                           WHEN $2::text = 'queued' THEN NULL ELSE finished_at END
      WHERE id = $1
      RETURNING """ + " " + JOB_COLUMNS;

  public static final String INSERT_EVENT = EVENT_INSERT
      + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9) ON CONFLICT (event_key) DO NOTHING";

  public static final String SET_NOT_BEFORE = """
      UPDATE jobs SET not_before = now() + $2::bigint * interval '1 millisecond', updated_at = now()
      WHERE id = $1 RETURNING """ + " " + JOB_COLUMNS;

  public static final String INSERT_JOB = """
      INSERT INTO jobs (id, status, priority, job_type, command, entity_type, entity_id, full_path,
        account_id, gitlab_url, access_token, resume_state, metadata, max_attempts)
      VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13)
      ON CONFLICT DO NOTHING
      RETURNING """ + " " + JOB_COLUMNS;

  public static final String FIND_OPEN_DUPLICATE = "SELECT " + JOB_COLUMNS + " " + """
       FROM jobs WHERE entity_type = $1 AND entity_id = $2 AND coalesce(command, '') = coalesce($3, '')
        AND status IN ('queued','assigned','running')""";

  public static final String LIST = "SELECT " + JOB_COLUMNS + " " + """
       FROM jobs
      WHERE ($1::text[] IS NULL OR status = ANY($1::text[]))
        AND ($2::text IS NULL OR lease_owner = $2)
        AND ($3::text IS NULL OR spawned_from = $3)
        AND ($4::timestamptz IS NULL OR (created_at, id) < ($4::timestamptz, $5::text))
      ORDER BY created_at DESC, id DESC
      LIMIT $6""";

  /** Prunes finished jobs older than {@code $1} ms (their events cascade; children keep a NULL parent). */
  public static final String PRUNE_FINISHED = """
      DELETE FROM jobs WHERE id IN (
        SELECT id FROM jobs
        WHERE status IN ('completed','cancelled','dead')
          AND finished_at < now() - $1::bigint * interval '1 millisecond'
        LIMIT $2)""";

  public static final String STATS = "SELECT status, count(*) AS n FROM jobs GROUP BY status";

  public static final String UPDATE_TOKEN =
      "UPDATE jobs SET access_token = $2, token_expires_at = $3, updated_at = now() WHERE id = $1";

  /** Creates children of discovery job {@code $10} (inheriting account, URL, token); duplicates are skipped. */
  public static final String INSERT_CHILDREN = """
      WITH parent AS (
        SELECT id, account_id, gitlab_url, access_token FROM jobs WHERE id = $10
      ), ins AS (
        INSERT INTO jobs (id, status, priority, job_type, command, entity_type, entity_id, full_path,
          account_id, gitlab_url, access_token, metadata, max_attempts, spawned_from, dedupe_key)
        SELECT u.id, 'queued', u.priority, u.job_type, u.command, u.entity_type, u.entity_id, u.full_path,
          p.account_id, p.gitlab_url, p.access_token, u.metadata::jsonb, $11, p.id, u.dedupe_key
        FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                    $8::text[], $9::text[])
          AS u(id, priority, job_type, command, entity_type, entity_id, full_path, metadata, dedupe_key)
        CROSS JOIN parent p
        ON CONFLICT DO NOTHING
        RETURNING id, attempt, max_attempts
      ), ev AS (
        INSERT INTO job_events (job_id, from_status, to_status, attempt, crawler_id, reason, node_id, event_key)
        SELECT id, NULL, 'queued', attempt, $12, 'discovered', $13, id || ':' || attempt || ':queued' FROM ins
        ON CONFLICT (event_key) DO NOTHING
      )
      SELECT id, attempt, max_attempts FROM ins""";

  /** Records a discovery summary and the created ids (accumulated over re-sends) in the parent's progress. */
  public static final String RECORD_DISCOVERY = """
      UPDATE jobs SET progress = coalesce(progress, '{}'::jsonb) || jsonb_build_object('discovery',
          $2::jsonb || jsonb_build_object('createdJobIds',
            coalesce(progress -> 'discovery' -> 'createdJobIds', '[]'::jsonb) || $3::jsonb)),
        last_message_at = now(), updated_at = now()
      WHERE id = $1""";

  private final Pool pool;

  public JobRepository(Pool pool) {
    this.pool = pool;
  }

  public Pool pool() {
    return pool;
  }

  // ---------------------------------------------------------------- crawler-facing

  /**
   * Claims jobs for {@code crawlerIds} (distinct), {@code wants[i]} for the i-th, in one statement;
   * each row's {@code lease_owner} says whose it is. Rows carry the access token for the SimpleJob
   * (never logged).
   */
  /** {@link #CLAIM}; {@code token} marks the claim's event rows (see {@link #RELEASE_UNANSWERED_CLAIMS}). */
  public Future<RowSet<Row>> claim(List<String> crawlerIds, List<Integer> wants, int maxConcurrent, long leaseMs,
      String nodeId, String token) {
    return pool.preparedQuery(CLAIM).execute(Tuple.of(crawlerIds.toArray(new String[0]),
        wants.toArray(new Integer[0]), maxConcurrent, leaseMs, nodeId, token));
  }

  /** {@link #RELEASE_UNANSWERED_CLAIMS}: the jobs requeued. */
  public Future<List<ExpiredJob>> releaseUnansweredClaims(List<String> crawlerIds, List<String> tokens, String nodeId) {
    return pool.preparedQuery(RELEASE_UNANSWERED_CLAIMS).execute(Tuple.of(crawlerIds.toArray(new String[0]),
        tokens.toArray(new String[0]), nodeId)).map(JobRepository::expired);
  }

  public Future<LeaseRow> loadLease(String jobId) {
    return pool.preparedQuery(LOAD_LEASE).execute(Tuple.of(jobId)).map(rs -> {
      if (rs.size() == 0) {
        return null;
      }
      Row r = rs.iterator().next();
      return new LeaseRow(r.getString("id"), r.getString("status"), r.getString("lease_owner"),
          r.getInteger("attempt"), r.getInteger("max_attempts"));
    });
  }

  /** Applies {@code t} on {@code conn} (inside the caller's transaction); safe to replay. */
  public Future<TransitionResult> applyTransition(SqlConnection conn, Transition t) {
    Tuple args = Tuple.tuple()
        .addValue(t.jobId()).addValue(t.from()).addValue(t.to()).addValue(t.attempt())
        .addValue(t.crawlerId()).addValue(t.reason())
        .addValue(t.progress())
        .addValue(t.resumeState())
        .addValue(t.nodeId())
        .addValue(t.details())
        .addValue(t.eventKey());
    return conn.preparedQuery(TRANSITION).execute(args).compose(rs -> {
      if (rs.size() > 0) {
        return Future.succeededFuture(TransitionResult.applied(rs.iterator().next().getInteger(0), false));
      }
      return conn.preparedQuery(EVENT_EXISTS).execute(Tuple.of(t.eventKey())).compose(ev -> {
        if (ev.size() > 0) {
          return conn.preparedQuery(LOAD_LEASE).execute(Tuple.of(t.jobId()))
              .map(r -> TransitionResult.applied(r.size() > 0 ? r.iterator().next().getInteger("max_attempts") : 0, true));
        }
        return conn.preparedQuery(LOAD_LEASE).execute(Tuple.of(t.jobId())).map(r -> rejection(t, r));
      });
    });
  }

  private static TransitionResult rejection(Transition t, RowSet<Row> rs) {
    if (rs.size() == 0) {
      return TransitionResult.rejected(ErrorCode.UNKNOWN_JOB, "job " + t.jobId() + " does not exist", null, null, 0);
    }
    Row r = rs.iterator().next();
    String status = r.getString("status");
    String owner = r.getString("lease_owner");
    int attempt = r.getInteger("attempt");
    if (owner == null || !owner.equals(t.crawlerId()) || attempt != t.attempt()) {
      return TransitionResult.rejected(ErrorCode.STALE_LEASE, "job " + t.jobId()
          + " is no longer leased to " + t.crawlerId() + " (attempt " + t.attempt() + ")", status, owner, attempt);
    }
    return TransitionResult.rejected(ErrorCode.ILLEGAL_TRANSITION, "job " + t.jobId() + " is " + status
        + "; cannot move to " + t.to(), status, owner, attempt);
  }

  /**
   * One coalesced batch of progress updates (fenced by owner, attempt and status running); never
   * waits for a row lock. The ids written: any other was fenced out or held by another transaction.
   */
  public Future<Set<String>> flushProgress(List<PendingProgress> batch) {
    int n = batch.size();
    String[] ids = new String[n];
    String[] progress = new String[n];
    String[] resume = new String[n];
    OffsetDateTime[] at = new OffsetDateTime[n];
    Integer[] attempts = new Integer[n];
    String[] owners = new String[n];
    Long[] extend = new Long[n];
    for (int i = 0; i < n; i++) {
      PendingProgress p = batch.get(i);
      extend[i] = p.extendLeaseMs();
      ids[i] = p.jobId();
      progress[i] = p.progress() == null ? "{}" : p.progress().encode();
      resume[i] = p.resumeState() == null ? null : p.resumeState().encode();
      at[i] = p.at();
      attempts[i] = p.attempt();
      owners[i] = p.owner();
    }
    Tuple args = Tuple.tuple().addArrayOfString(ids).addArrayOfString(progress).addArrayOfString(resume)
        .addArrayOfTemporal(at).addArrayOfInteger(attempts).addArrayOfString(owners).addArrayOfLong(extend);
    return pool.preparedQuery(FLUSH_PROGRESS).execute(args).map(rows -> {
      Set<String> written = new HashSet<>();
      rows.forEach(r -> written.add(r.getString(0)));
      return written;
    });
  }

  /** Sets lease expiry = now + {@code ms} for every live lease of {@code crawlerIds}. */
  public Future<Integer> setLeaseExpiry(List<String> crawlerIds, long ms) {
    return pool.preparedQuery(SET_LEASE_EXPIRY)
        .execute(Tuple.tuple().addArrayOfString(crawlerIds.toArray(String[]::new)).addValue(ms))
        .map(RowSet::rowCount);
  }

  /** {@link #CAP_LEASE_EXPIRY}: leases cut. */
  public Future<Integer> capLeaseExpiry(List<String> crawlerIds, long ms) {
    return pool.preparedQuery(CAP_LEASE_EXPIRY)
        .execute(Tuple.tuple().addArrayOfString(crawlerIds.toArray(String[]::new)).addValue(ms))
        .map(RowSet::rowCount);
  }

  /** {@link #RENEW_LEASES}: renews the live leases of {@code crawlerIds} no row lock is held on; rows renewed. */
  public Future<Integer> renewLeases(List<String> crawlerIds, long ms) {
    return pool.preparedQuery(RENEW_LEASES)
        .execute(Tuple.tuple().addArrayOfString(crawlerIds.toArray(String[]::new)).addValue(ms))
        .map(RowSet::rowCount);
  }

  public Future<List<ExpiredJob>> expireLeases(long jobTimeoutMs, int limit, String nodeId) {
    return pool.preparedQuery(EXPIRE_LEASES).execute(Tuple.of(jobTimeoutMs, limit, nodeId)).map(JobRepository::expired);
  }

  public Future<List<ExpiredJob>> dueRetries(int limit, String nodeId) {
    return pool.preparedQuery(DUE_RETRIES).execute(Tuple.of(limit, nodeId)).map(JobRepository::expired);
  }

  private static List<ExpiredJob> expired(RowSet<Row> rs) {
    List<ExpiredJob> out = new ArrayList<>(rs.size());
    for (Row r : rs) {
      out.add(new ExpiredJob(r.getString("id"), r.getString("from_status"), r.getString("to_status"),
          r.getInteger("attempt"), r.getInteger("max_attempts"), r.getString("lease_owner"), r.getString("reason")));
    }
    return out;
  }

  public Future<Void> updateToken(String jobId, String accessToken, OffsetDateTime expiresAt) {
    return pool.preparedQuery(UPDATE_TOKEN).execute(Tuple.of(jobId, accessToken, expiresAt)).mapEmpty();
  }

  /** Inserts discovery children in one statement; returns the ids actually created (with attempt, maxAttempts). */
  public Future<List<Row>> insertChildren(SqlClient client, String parentId, List<ChildJob> children,
      int maxAttempts, String crawlerId, String nodeId) {
    int n = children.size();
    String[] ids = new String[n];
    Integer[] prio = new Integer[n];
    String[] jobType = new String[n];
    String[] command = new String[n];
    String[] entityType = new String[n];
    String[] entityId = new String[n];
    String[] fullPath = new String[n];
    String[] metadata = new String[n];
    String[] dedupe = new String[n];
    for (int i = 0; i < n; i++) {
      ChildJob c = children.get(i);
      ids[i] = c.id();
      prio[i] = c.priority();
      jobType[i] = c.jobType();
      command[i] = c.command();
      entityType[i] = c.entityType();
      entityId[i] = c.entityId();
      fullPath[i] = c.fullPath();
      metadata[i] = c.metadataJson();
      dedupe[i] = c.dedupeKey();
    }
    Tuple args = Tuple.tuple().addArrayOfString(ids).addArrayOfInteger(prio).addArrayOfString(jobType)
        .addArrayOfString(command).addArrayOfString(entityType).addArrayOfString(entityId)
        .addArrayOfString(fullPath).addArrayOfString(metadata).addArrayOfString(dedupe)
        .addValue(parentId).addValue(maxAttempts).addValue(crawlerId).addValue(nodeId);
    return client.preparedQuery(INSERT_CHILDREN).execute(args).map(rs -> {
      List<Row> out = new ArrayList<>(rs.size());
      rs.forEach(out::add);
      return out;
    });
  }

  public Future<Void> recordDiscovery(SqlClient client, String parentId, JsonObject summary, JsonArray createdIds) {
    return client.preparedQuery(RECORD_DISCOVERY)
        .execute(Tuple.of(parentId, summary, createdIds)).mapEmpty();
  }

  // ---------------------------------------------------------------- API

  /** The job row locked for update, or a 404. */
  public Future<Row> lockJob(SqlConnection conn, String jobId) {
    return conn.preparedQuery(SELECT_FOR_UPDATE).execute(Tuple.of(jobId)).map(rs -> {
      if (rs.size() == 0) {
        throw JobStoreException.notFound(jobId);
      }
      return rs.iterator().next();
    });
  }

  /**
   * Moves a locked job to {@code to} with its event row. {@code crawlerId} is the new owner for
   * {@code assigned} (and the event's actor otherwise).
   */
  public Future<Row> apiTransition(SqlConnection conn, Row current, String to, int attempt, int maxAttempts,
      String crawlerId, long leaseMs, String reason, String nodeId, JsonObject details) {
    String id = current.getString("id");
    Tuple args = Tuple.of(id, to, attempt, maxAttempts, crawlerId, leaseMs);
    return conn.preparedQuery(API_TRANSITION).execute(args).compose(rs -> {
      Row updated = rs.iterator().next();
      Tuple ev = Tuple.tuple().addValue(id).addValue(current.getString("status")).addValue(to)
          .addValue(attempt).addValue(crawlerId != null ? crawlerId : current.getString("lease_owner"))
          .addValue(reason).addValue(nodeId).addValue(details)
          .addValue(Transition.eventKey(id, attempt, to));
      return conn.preparedQuery(INSERT_EVENT).execute(ev).map(updated);
    });
  }

  public Future<Row> setNotBefore(SqlConnection conn, String jobId, long delayMs) {
    return conn.preparedQuery(SET_NOT_BEFORE).execute(Tuple.of(jobId, delayMs)).map(rs -> rs.iterator().next());
  }

  /**
   * Inserts {@code job} in the caller's transaction. Answers the created row ({@code created=true}),
   * or the open duplicate ({@code created=false}); a client id that exists fails 409 CONFLICT.
   */
  public Future<Map.Entry<Row, Boolean>> insertJob(SqlConnection conn, NewJob job, String nodeId) {
    Tuple args = Tuple.tuple().addValue(job.id()).addValue(job.priority()).addValue(job.jobType())
        .addValue(job.command()).addValue(job.entityType()).addValue(job.entityId()).addValue(job.fullPath())
        .addValue(job.accountId()).addValue(job.gitlabUrl()).addValue(job.accessToken())
        .addValue(job.resumeState())
        .addValue(job.metadata())
        .addValue(job.maxAttempts());
    return conn.preparedQuery(INSERT_JOB).execute(args).compose(rs -> {
      if (rs.size() > 0) {
        Row row = rs.iterator().next();
        Tuple ev = Tuple.tuple().addValue(job.id()).addValue(null).addValue("queued").addValue(1)
            .addValue(null).addValue("enqueued").addValue(nodeId).addValue(null)
            .addValue(Transition.eventKey(job.id(), 1, "queued"));
        return conn.preparedQuery(INSERT_EVENT).execute(ev).map(x -> Map.entry(row, true));
      }
      return conn.preparedQuery(SELECT_JOB).execute(Tuple.of(job.id())).compose(byId -> {
        if (byId.size() > 0) {
          throw new JobStoreException(409, "CONFLICT", "job id " + job.id() + " already exists");
        }
        return conn.preparedQuery(FIND_OPEN_DUPLICATE)
            .execute(Tuple.of(job.entityType(), job.entityId(), job.command()))
            .map(dup -> {
              if (dup.size() == 0) {
                throw new JobStoreException(409, "CONFLICT", "job " + job.id() + " conflicts with a concurrent insert; retry");
              }
              return Map.entry(dup.iterator().next(), false);
            });
      });
    });
  }

  public Future<Row> get(String jobId) {
    return pool.preparedQuery(SELECT_JOB).execute(Tuple.of(jobId))
        .map(rs -> rs.size() == 0 ? null : rs.iterator().next());
  }

  public Future<JsonArray> events(String jobId) {
    return pool.preparedQuery(SELECT_EVENTS).execute(Tuple.of(jobId)).map(rs -> {
      JsonArray out = new JsonArray();
      for (Row r : rs) {
        JsonObject e = new JsonObject()
            .put("at", iso(r.getOffsetDateTime("at")))
            .put("from", r.getString("from_status"))
            .put("to", r.getString("to_status"))
            .put("attempt", r.getInteger("attempt"))
            .put("crawlerId", r.getString("crawler_id"))
            .put("reason", r.getString("reason"));
        Object d = r.getJson("details");
        if (d != null) {
          e.put("details", d);
        }
        out.add(e);
      }
      return out;
    });
  }

  /** A page of jobs, newest first; {@code cursor} is the opaque value of a previous page's nextCursor. */
  public Future<JsonObject> list(List<String> statuses, String crawlerId, String spawnedFrom, int limit, String cursor) {
    OffsetDateTime afterAt = null;
    String afterId = null;
    if (cursor != null) {
      String[] parts = decodeCursor(cursor);
      afterAt = OffsetDateTime.parse(parts[0]);
      afterId = parts[1];
    }
    Tuple args = Tuple.tuple()
        .addValue(statuses == null || statuses.isEmpty() ? null : statuses.toArray(String[]::new))
        .addValue(crawlerId).addValue(spawnedFrom).addValue(afterAt).addValue(afterId).addValue(limit + 1);
    return pool.preparedQuery(LIST).execute(args).map(rs -> {
      JsonArray jobs = new JsonArray();
      String next = null;
      for (Row r : rs) {
        if (jobs.size() == limit) {
          break;
        }
        jobs.add(toJob(r));
      }
      if (rs.size() > limit) {
        JsonObject last = jobs.getJsonObject(jobs.size() - 1);
        next = encodeCursor(last.getString("createdAtRaw"), last.getString("id"));
      }
      jobs.forEach(j -> ((JsonObject) j).remove("createdAtRaw"));
      return new JsonObject().put("jobs", jobs).put("nextCursor", next);
    });
  }

  static String encodeCursor(String createdAt, String id) {
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString((createdAt + "|" + id).getBytes(StandardCharsets.UTF_8));
  }

  /** @throws IllegalArgumentException for a cursor this hub did not make */
  public static String[] decodeCursor(String cursor) {
    try {
      String s = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      int bar = s.indexOf('|');
      if (bar < 0) {
        throw new IllegalArgumentException("cursor: not a cursor of this hub");
      }
      String[] parts = {s.substring(0, bar), s.substring(bar + 1)};
      OffsetDateTime.parse(parts[0]);
      return parts;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("cursor: not a cursor of this hub");
    }
  }

  /** Deletes up to {@code limit} finished jobs older than {@code maxAgeMs}; answers how many. */
  public Future<Integer> pruneFinished(long maxAgeMs, int limit) {
    return pool.preparedQuery(PRUNE_FINISHED).execute(Tuple.of(maxAgeMs, limit)).map(RowSet::rowCount);
  }

  public Future<Map<String, Long>> stats() {
    return pool.query(STATS).execute().map(rs -> {
      Map<String, Long> m = new LinkedHashMap<>();
      for (Row r : rs) {
        m.put(r.getString("status"), r.getLong("n"));
      }
      return m;
    });
  }

  // ---------------------------------------------------------------- mapping

  /** SPEC §5 Job shape (camelCase, no access token). */
  public static JsonObject toJob(Row r) {
    JsonObject j = new JsonObject()
        .put("id", r.getString("id"))
        .put("status", r.getString("status"))
        .put("priority", r.getInteger("priority"))
        .put("entityType", r.getString("entity_type"))
        .put("entityId", r.getString("entity_id"))
        .put("fullPath", r.getString("full_path"))
        .put("jobType", r.getString("job_type"))
        .put("command", r.getString("command"))
        .put("gitlabUrl", r.getString("gitlab_url"))
        .put("accountId", r.getString("account_id"))
        .put("attempt", r.getInteger("attempt"))
        .put("maxAttempts", r.getInteger("max_attempts"))
        .put("leaseOwner", r.getString("lease_owner"))
        .put("leaseExpiresAt", iso(r.getOffsetDateTime("lease_expires_at")))
        .put("notBefore", iso(r.getOffsetDateTime("not_before")))
        .put("spawnedFrom", r.getString("spawned_from"))
        .put("resumeState", r.getJson("resume_state"))
        .put("progress", r.getJson("progress"))
        .put("createdAt", iso(r.getOffsetDateTime("created_at")))
        .put("updatedAt", iso(r.getOffsetDateTime("updated_at")))
        .put("startedAt", iso(r.getOffsetDateTime("started_at")))
        .put("finishedAt", iso(r.getOffsetDateTime("finished_at")))
        .put("metadata", r.getJson("metadata"));
    OffsetDateTime created = r.getOffsetDateTime("created_at");
    j.put("createdAtRaw", created == null ? null : created.toString());
    return j;
  }

  /** {@link #toJob} without the internal cursor field. */
  public static JsonObject job(Row r) {
    JsonObject j = toJob(r);
    j.remove("createdAtRaw");
    return j;
  }

  static String iso(OffsetDateTime t) {
    return t == null ? null : t.toInstant().toString();
  }
}
