package org.crawlerhub.persistence;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import org.crawlerhub.config.HubConfig;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub's PostgreSQL: an external server ({@code DATABASE_URL} / {@code database.url}) or, with
 * none configured, an embedded real PostgreSQL whose data lives under {@code <dataDir>/pg} and
 * survives restarts. Migrations (Flyway, JDBC) run through {@code executeBlocking}.
 */
public final class Database implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Database.class);

  private final String url;
  private final EmbeddedPostgres embedded;

  private Database(String url, EmbeddedPostgres embedded) {
    this.url = url;
    this.embedded = embedded;
  }

  /** {@code postgresql://user[:password]@host:port/db} usable by {@link PgConnectOptions#fromUri}. */
  public String url() {
    return url;
  }

  public boolean isEmbedded() {
    return embedded != null;
  }

  /** Starts (embedded) or locates (external) the database and applies migrations. */
  public static Future<Database> start(Vertx vertx, HubConfig.Database cfg) {
    return vertx.executeBlocking(() -> {
      Database db;
      if (cfg.url() == null || cfg.url().isBlank()) {
        db = startEmbedded(Path.of(cfg.embeddedDir()));
        LOG.info("Using embedded PostgreSQL at {} (data in {})", mask(db.url), cfg.embeddedDir());
      } else {
        db = new Database(normalise(cfg.url(), cfg.user(), cfg.password()), null);
        LOG.info("Using external PostgreSQL at {}", mask(db.url));
      }
      db.migrate();
      return db;
    }, false);
  }

  /** Starts an embedded PostgreSQL with its data directory kept across restarts. */
  public static Database startEmbedded(Path dataDir) throws IOException {
    Path dir = dataDir.toAbsolutePath().normalize();
    Files.createDirectories(dir);
    // Never clean: the data directory is the hub's durable state across restarts.
    EmbeddedPostgres pg = EmbeddedPostgres.builder()
        .setDataDirectory(dir.toFile())
        .setCleanDataDirectory(false)
        .start();
    return new Database("postgresql://postgres@localhost:" + pg.getPort() + "/postgres", pg);
  }

  /** Applies the versioned migrations in {@code db/migration}. Blocking: call off the event loop. */
  public void migrate() {
    JdbcParts p = JdbcParts.of(url);
    // Explicit class loader: Vert.x worker threads may carry no usable context class loader under java -jar.
    Flyway.configure(Database.class.getClassLoader())
        .dataSource(p.jdbcUrl, p.user, p.password)
        .locations("classpath:db/migration")
        .load()
        .migrate();
  }

  /** Connect options for the reactive client. */
  public PgConnectOptions connectOptions() {
    return PgConnectOptions.fromUri(url);
  }

  /** A reactive pool of {@code size} connections bound to the calling context's Vert.x. */
  public static Pool pool(Vertx vertx, String url, int size) {
    return pool(vertx, url, size, null);
  }

  /**
   * Same, named {@code name} in the {@code vertx_pool_*} metrics ({@code pool_name}), so an
   * operator sees which pool's connections are busy or waited for. One name per pool: pools of
   * the same name share their gauges.
   */
  public static Pool pool(Vertx vertx, String url, int size, String name) {
    PoolOptions options = new PoolOptions().setMaxSize(size);
    if (name != null) {
      options.setName(name);
    }
    return PgBuilder.pool()
        .with(options)
        .connectingTo(PgConnectOptions.fromUri(url).setCachePreparedStatements(true))
        .using(vertx)
        .build();
  }

  @Override
  public void close() {
    if (embedded != null) {
      try {
        embedded.close();
        LOG.info("Embedded PostgreSQL stopped");
      } catch (IOException e) {
        LOG.warn("Embedded PostgreSQL did not stop cleanly: {}", e.toString());
      }
    }
  }

  /** Accepts {@code postgres://}, {@code postgresql://} and {@code jdbc:postgresql://} URLs. */
  static String normalise(String url, String user, String password) {
    String u = url.trim();
    if (u.startsWith("jdbc:")) {
      u = u.substring(5);
    }
    if (u.startsWith("postgres://")) {
      u = "postgresql://" + u.substring("postgres://".length());
    }
    URI uri = URI.create(u);
    if (uri.getUserInfo() == null && user != null) {
      String info = password == null ? user : user + ":" + password;
      u = "postgresql://" + info + "@" + u.substring("postgresql://".length());
    }
    return u;
  }

  /** The URL with its password masked, for logs. */
  public static String mask(String url) {
    return url.replaceAll("(://[^:/@]+:)[^@]*@", "$1****@");
  }

  private record JdbcParts(String jdbcUrl, String user, String password) {
    static JdbcParts of(String url) {
      URI uri = URI.create(url);
      String user = null;
      String password = null;
      if (uri.getUserInfo() != null) {
        String[] up = uri.getUserInfo().split(":", 2);
        user = up[0];
        password = up.length > 1 ? up[1] : null;
      }
      int port = uri.getPort() < 0 ? 5432 : uri.getPort();
      String query = uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery();
      return new JdbcParts("jdbc:postgresql://" + uri.getHost() + ":" + port + uri.getPath() + query, user, password);
    }
  }
}
