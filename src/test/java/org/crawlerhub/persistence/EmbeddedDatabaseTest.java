package org.crawlerhub.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.config.HubConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EmbeddedDatabaseTest {
  private Vertx vertx;
  private Path dataDir;
  private HubConfig cfg;

  /** A hub configuration without a database URL, on a fresh data directory. */
  @BeforeEach
  void freshDataDir() throws Exception {
    vertx = Vertx.vertx();
    dataDir = Files.createTempDirectory("hub-embedded");
    cfg = HubConfig.fromJson(new JsonObject().put("dataDir", dataDir.toString()));
  }

  @AfterEach
  void closeVertx() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static String show(Pool pool, String setting) throws Exception {
    return pool.query("SHOW " + setting).execute().await(30, TimeUnit.SECONDS).iterator().next().getString(0);
  }

  @Test
  @DisplayName("the embedded database keeps its data across a restart of the hub's database")
  void embeddedDataSurvivesRestart() throws Exception {
    // GIVEN a hub configuration without a database URL and a fresh data directory (freshDataDir)
    // WHEN the embedded database starts, a row is written, and it is stopped and started again
    Database first = Database.start(vertx, cfg.database()).await(90, TimeUnit.SECONDS);
    assertThat(first.isEmbedded()).isTrue();
    Pool pool = Database.pool(vertx, first.url(), 1);
    pool.query("INSERT INTO areas (gitlab_id, type, name, full_path) VALUES ('1', 'group', 'g', 'g')")
        .execute().await(30, TimeUnit.SECONDS);
    pool.close().await(10, TimeUnit.SECONDS);
    first.close();

    Database second = Database.start(vertx, cfg.database()).await(90, TimeUnit.SECONDS);
    Pool again = Database.pool(vertx, second.url(), 1);
    long rows = again.query("SELECT count(*) FROM areas").execute().await(30, TimeUnit.SECONDS)
        .iterator().next().getLong(0);
    again.close().await(10, TimeUnit.SECONDS);
    second.close();

    // THEN the row written before the restart is still there
    assertThat(rows).isEqualTo(1);
    assertThat(dataDir.resolve("pg").resolve("PG_VERSION")).exists();
  }

  @Test
  @DisplayName("the embedded database syncs its writes to disk, and a durable pool commits synchronously whatever the server's default")
  void embeddedDatabaseIsDurable() throws Exception {
    // GIVEN the hub's embedded database (server default synchronous_commit = off, fsync turned on)
    Database db = Database.start(vertx, cfg.database()).await(90, TimeUnit.SECONDS);
    // WHEN a plain pool and a durable pool (the jobs service's) connect
    Pool plain = Database.pool(vertx, db.url(), 1);
    Pool durable = Database.pool(vertx, db.url(), 1, "durable", true);

    // THEN fsync is on for both, and only the durable pool waits for its commits to be flushed
    assertThat(show(plain, "fsync")).isEqualTo("on");
    assertThat(show(plain, "synchronous_commit")).isEqualTo("off");
    assertThat(show(durable, "synchronous_commit")).isEqualTo("on");
    plain.close().await(10, TimeUnit.SECONDS);
    durable.close().await(10, TimeUnit.SECONDS);
    db.close();
  }
}
