package org.crawlerhub.persistence;

import io.vertx.core.Future;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/** Discovered GitLab namespaces ({@code areas}), upserted idempotently by (gitlab_id, type). */
public final class AreaRepository {

  /**
   * One batch of areas; the batch must not contain the same (gitlab_id, type) twice. Rows go in key
   * order, so two discoveries upserting overlapping areas lock them in the same order and one waits
   * for the other instead of each holding a row the other wants (a deadlock, broken by PostgreSQL
   * only after {@code deadlock_timeout}).
   */
  public static final String UPSERT = """
      INSERT INTO areas (gitlab_id, type, name, full_path, parent_id, discovered_by)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
        AS u(gitlab_id, type, name, full_path, parent_id, discovered_by)
      ORDER BY u.gitlab_id, u.type
      ON CONFLICT (gitlab_id, type) DO UPDATE SET name = EXCLUDED.name, full_path = EXCLUDED.full_path,
        parent_id = coalesce(EXCLUDED.parent_id, areas.parent_id), updated_at = now()""";

  /** One area to upsert. */
  public record Area(String gitlabId, String type, String name, String fullPath, String parentId) {}

  private AreaRepository() {}

  public static Future<Integer> upsert(SqlClient client, List<Area> areas, String discoveredBy) {
    if (areas.isEmpty()) {
      return Future.succeededFuture(0);
    }
    int n = areas.size();
    String[] ids = new String[n];
    String[] types = new String[n];
    String[] names = new String[n];
    String[] paths = new String[n];
    String[] parents = new String[n];
    String[] by = new String[n];
    for (int i = 0; i < n; i++) {
      Area a = areas.get(i);
      ids[i] = a.gitlabId();
      types[i] = a.type();
      names[i] = a.name();
      paths[i] = a.fullPath();
      parents[i] = a.parentId();
      by[i] = discoveredBy;
    }
    return client.preparedQuery(UPSERT).execute(Tuple.tuple().addArrayOfString(ids).addArrayOfString(types)
        .addArrayOfString(names).addArrayOfString(paths).addArrayOfString(parents).addArrayOfString(by))
        .map(RowSet::rowCount);
  }
}
