package org.crawlerhub.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DatabaseMigrationTest {

  @Test
  @DisplayName("migrations create every table of SPEC §7 in a real PostgreSQL")
  void migrationsCreateTheSchema() throws Exception {
    // GIVEN a fresh migrated database
    String url = TestDatabase.freshDatabase();
    Vertx vertx = Vertx.vertx();
    try {
      Pool pool = Database.pool(vertx, url, 1);
      // WHEN we list the public tables
      List<String> tables = new ArrayList<>();
      for (Row r : pool.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
          .execute().await(30, TimeUnit.SECONDS)) {
        tables.add(r.getString(0));
      }
      // THEN the hub's tables are all there
      assertThat(tables).contains("jobs", "job_events", "areas", "job_errors", "crawler_sessions");
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
