package org.crawlerhub.testing;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A TCP proxy in front of PostgreSQL for fault injection: bytes pass both ways unchanged until
 * {@link #loseAnswerTo} is armed. Then on the first connection whose client sends a statement
 * containing the given SQL text, the server's answer from the statement's CommandComplete on is
 * thrown away (the preparation's answers pass), and the connection is closed shortly after: the
 * statement ran (and, in autocommit, committed) on the server; the client only sees a broken
 * connection — what a PostgreSQL crash or a network cut between commit and answer does.
 */
public final class PgProxy {
  private final Vertx vertx;
  private final String targetHost;
  private final int targetPort;
  private final AtomicReference<String> doomOn = new AtomicReference<>();
  private final AtomicReference<String> delayOn = new AtomicReference<>();
  private volatile long delayMs;
  private NetServer server;
  private NetClient client;
  private volatile boolean fired;

  public PgProxy(Vertx vertx, String targetHost, int targetPort) {
    this.vertx = vertx;
    this.targetHost = targetHost;
    this.targetPort = targetPort;
  }

  /** Starts listening on a free loopback port; the port. */
  public Future<Integer> start() {
    client = vertx.createNetClient();
    server = vertx.createNetServer().connectHandler(this::proxy);
    return server.listen(0, "127.0.0.1").map(NetServer::actualPort);
  }

  public Future<Void> stop() {
    return server.close().compose(v -> client.close());
  }

  /** Arms the proxy for one connection: the next statement containing {@code sqlText} loses its answer. */
  public void loseAnswerTo(String sqlText) {
    fired = false;
    doomOn.set(sqlText);
  }

  /**
   * Arms the proxy for one connection: from the next statement containing {@code sqlText} on, every
   * answer the server sends on that connection reaches the client {@code ms} later — the statement
   * (which the client runs only after its preparation is answered) runs that much later too.
   */
  public void delayAnswersTo(String sqlText, long ms) {
    fired = false;
    delayMs = ms;
    delayOn.set(sqlText);
  }

  /** True once an armed statement's answer was thrown away or held back. */
  public boolean fired() {
    return fired;
  }

  private void proxy(NetSocket front) {
    front.pause();
    client.connect(targetPort, targetHost).onComplete(ar -> {
      if (ar.failed()) {
        front.close();
        return;
      }
      NetSocket back = ar.result();
      boolean[] primed = {false};
      boolean[] doomed = {false};
      boolean[] delayed = {false};
      front.handler(buf -> {
        String sql = doomOn.get();
        if (!primed[0] && sql != null && contains(buf, sql) && doomOn.compareAndSet(sql, null)) {
          primed[0] = true;
        }
        String slow = delayOn.get();
        if (!delayed[0] && slow != null && contains(buf, slow) && delayOn.compareAndSet(slow, null)) {
          delayed[0] = true;
          fired = true;
        }
        back.write(buf);
      });
      back.handler(buf -> {
        if (delayed[0]) {
          vertx.setTimer(delayMs, t -> front.write(buf)); // equal delays: chunks keep their order
          return;
        }
        if (primed[0] && !doomed[0] && COMPLETED.matcher(text(buf)).find()) {
          // the statement ran and (autocommit) committed: its CommandComplete and all after it is lost
          doomed[0] = true;
          fired = true;
          vertx.setTimer(300, t -> {
            back.close();
            front.close();
          });
        }
        if (!doomed[0]) {
          front.write(buf);
        }
      });
      front.closeHandler(v -> back.close());
      back.closeHandler(v -> front.close());
      front.resume();
    });
  }

  /** A CommandComplete message of a row-returning statement: tag 'C', length, "SELECT n" or "UPDATE n". */
  private static final java.util.regex.Pattern COMPLETED = java.util.regex.Pattern.compile("C[\\s\\S]{4}(SELECT|UPDATE|INSERT 0) [0-9]+\\x00");

  private static String text(Buffer buf) {
    return new String(buf.getBytes(), StandardCharsets.ISO_8859_1);
  }

  private static boolean contains(Buffer buf, String text) {
    return text(buf).contains(text);
  }
}
