package org.crawlerhub.testing;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.flywaydb.core.Flyway;

/**
 * One real embedded PostgreSQL per test JVM (started on first use, stopped at JVM exit). Each
 * {@link #freshDatabase()} call creates a new, migrated database so test classes never see each
 * other's rows.
 */
public final class TestDatabase {
  private static EmbeddedPostgres server;
  private static final AtomicInteger COUNTER = new AtomicInteger();

  private TestDatabase() {}

  public static synchronized EmbeddedPostgres server() {
    if (server == null) {
      try {
        server = EmbeddedPostgres.builder().start();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      EmbeddedPostgres s = server;
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          s.close();
        } catch (IOException ignored) {
          // the JVM is exiting
        }
      }));
    }
    return server;
  }

  /** Creates a new database with the hub's schema and returns its {@code postgresql://} URL. */
  public static String freshDatabase() {
    EmbeddedPostgres s = server();
    String name = "hub_test_" + ProcessHandle.current().pid() + "_" + COUNTER.incrementAndGet();
    try (Connection c = s.getPostgresDatabase().getConnection(); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    } catch (Exception e) {
      throw new IllegalStateException("could not create test database", e);
    }
    String jdbc = "jdbc:postgresql://localhost:" + s.getPort() + "/" + name;
    Flyway.configure().dataSource(jdbc, "postgres", null).locations("classpath:db/migration").load().migrate();
    return "postgresql://postgres@localhost:" + s.getPort() + "/" + name;
  }

  /** Runs SQL through JDBC (test setup and assertions only). */
  public static void exec(String url, String sql) {
    String jdbc = "jdbc:" + url.replace("postgres@", "");
    try (Connection c = java.sql.DriverManager.getConnection(jdbc, "postgres", null);
         Statement st = c.createStatement()) {
      st.execute(sql);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
