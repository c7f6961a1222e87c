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
    // Never clean: the data directory is the hub's durable state across restarts. The embedded
    // server's defaults are a test database's (postgres -F, synchronous_commit off): fsync is turned
    // back on (a later -c wins over -F), so a machine that loses power does not lose or corrupt the
    // store; each lifecycle commit is made durable by the jobs pool itself (see pool(..., durable)).
    EmbeddedPostgres pg = EmbeddedPostgres.builder()
        .setDataDirectory(dir.toFile())
        .setCleanDataDirectory(false)
        .setServerConfig("fsync", "on")
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
    return pool(vertx, url, size, name, false);
  }

  /**
   * Same; {@code durable} asks PostgreSQL for {@code synchronous_commit = on} on every connection
   * (a startup parameter), whatever the server's default: a commit is acknowledged only once its
   * WAL is flushed. The jobs service's pool is durable — SPEC §7, lifecycle transitions are durable
   * before they are acknowledged. With {@code synchronous_commit = off} (the embedded server's
   * default, and a common tuning) a PostgreSQL crash loses the last ~0.6 s of acknowledged commits:
   * a crash under a fleet lost job_started and job_completed transitions the crawlers had been told
   * were recorded (bench/fleet-pgcrash.sh). Error records and progress snapshots keep the server's
   * default.
   */
  public static Pool pool(Vertx vertx, String url, int size, String name, boolean durable) {
    PoolOptions options = new PoolOptions().setMaxSize(size);
    if (name != null) {
      options.setName(name);
    }
    PgConnectOptions connect = PgConnectOptions.fromUri(url).setCachePreparedStatements(true);
    if (durable) {
      connect.addProperty("synchronous_commit", "on");
    }
    return PgBuilder.pool()
        .with(options)
        .connectingTo(connect)
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
