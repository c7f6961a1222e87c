package org.crawlerhub.jobs;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.crawlerhub.testing.PgProxy;
import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;

/**
 * Base of the jobs tests that inject database faults: a fresh database, and the jobs service
 * talking to it through a {@link PgProxy} (the harness's own assertion queries go through it too,
 * unharmed unless they run the statement the proxy is armed for).
 */
abstract class JobsBehindProxyTest {
  private Vertx proxyVertx;
  PgProxy proxy;
  JobsHarness hub;

  /** Starts the proxy and the harness (its default test configuration changed by {@code tweak}). */
  void startBehindProxy(UnaryOperator<JsonObject> tweak) throws Exception {
    URI db = URI.create(TestDatabase.freshDatabase());
    proxyVertx = Vertx.vertx();
    proxy = new PgProxy(proxyVertx, db.getHost(), db.getPort());
    int port = proxy.start().await(10, TimeUnit.SECONDS);
    String proxied = db.getScheme() + "://" + db.getUserInfo() + "@127.0.0.1:" + port + db.getPath();
    hub = JobsHarness.start(tweak.apply(JobsHarness.baseConfig(proxied)));
  }

  @AfterEach
  void stopHarnessAndProxy() throws Exception {
    if (hub != null) {
      hub.close();
    }
    if (proxyVertx != null) {
      proxyVertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
