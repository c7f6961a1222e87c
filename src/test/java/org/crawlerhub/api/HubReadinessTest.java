package org.crawlerhub.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Readiness of a real hub on its own PostgreSQL server, stopped and started again mid-test. A
 * class of its own: a hub that stops closes the JVM's default metrics registry, which would blank
 * the meters of a hub that is still running in the same class.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
@DisplayName("Readiness against a real hub")
class HubReadinessTest {
  @Test
  @DisplayName("/ready answers 503 while the database is unreachable and 200 again once it is back")
  void readinessFollowsTheDatabase() throws Exception {
    // GIVEN a hub on its own PostgreSQL
    Path dataDir = Files.createTempDirectory("hub-ready-pg");
    int port = RealHub.freePort();
    EmbeddedPostgres pg = EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(false)
        .setPort(port).start();
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE ready_test");
    }
    RealHub own = RealHub.start(RealHub.config("postgresql://postgres@localhost:" + port + "/ready_test", null));
    try {
      assertThat(own.get("/ready").status()).isEqualTo(200);
      // WHEN the database stops
      pg.close();
      // THEN readiness fails with 503, liveness stays up
      await().atMost(RealHub.WAIT).untilAsserted(() -> assertThat(own.get("/ready").status()).isEqualTo(503));
      assertThat(own.get("/health").status()).isEqualTo(200);
      // WHEN it starts again THEN ready again
      pg = EmbeddedPostgres.builder().setDataDirectory(dataDir).setCleanDataDirectory(false).setPort(port).start();
      await().atMost(java.time.Duration.ofSeconds(60)).untilAsserted(() ->
          assertThat(own.get("/ready").status()).isEqualTo(200));
    } finally {
      own.close();
      pg.close();
    }
  }
}
