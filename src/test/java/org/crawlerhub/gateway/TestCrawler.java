package org.crawlerhub.gateway;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A minimal blocking crawler for tests: writes lines, and a reader thread collects every line the
 * hub sends (and the end of the stream) into a queue the test polls with a bound.
 */
final class TestCrawler implements AutoCloseable {
  private static final String EOF = "\u0000EOF";
  static final Duration WAIT = Duration.ofSeconds(10);

  private final Writer writer;
  private final AutoCloseable closer;
  private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
  private volatile boolean closed;
  /** Opened when the reader thread may start reading (at once, unless made with {@link #unixNotReading}). */
  private final java.util.concurrent.CountDownLatch reading = new java.util.concurrent.CountDownLatch(1);

  private interface Reader {
    int read(byte[] b) throws IOException;
  }

  private interface Writer {
    void write(byte[] b) throws IOException;
  }

  private TestCrawler(Reader reader, Writer writer, AutoCloseable closer) {
    this(reader, writer, closer, true);
  }

  private TestCrawler(Reader reader, Writer writer, AutoCloseable closer, boolean readNow) {
    this.writer = writer;
    this.closer = closer;
    if (readNow) {
      reading.countDown();
    }
    Thread t = new Thread(() -> readLoop(reader), "test-crawler-reader");
    t.setDaemon(true);
    t.start();
  }

  static TestCrawler unix(String path) throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    ch.connect(UnixDomainSocketAddress.of(path));
    return channel(ch);
  }

  /** A crawler over the Unix socket that reads nothing until {@link #startReading()}: a truly slow reader. */
  static TestCrawler unixNotReading(String path) throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    ch.connect(UnixDomainSocketAddress.of(path));
    return channel(ch, false);
  }

  /** Lets the reader thread of a {@link #unixNotReading} crawler start. */
  void startReading() {
    reading.countDown();
  }

  static TestCrawler tcp(int port) throws IOException {
    SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
    return channel(ch);
  }

  /** TLS client that trusts any certificate (the test server uses a self-signed one). */
  static TestCrawler tls(int port) throws Exception {
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, new TrustManager[] {new X509TrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) {
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) {
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(new Socket("127.0.0.1", port), "localhost", port, true);
    s.startHandshake();
    InputStream in = s.getInputStream();
    OutputStream out = s.getOutputStream();
    return new TestCrawler(in::read, b -> {
      out.write(b);
      out.flush();
    }, s);
  }

  // SocketChannel reads and writes may run concurrently on two threads (its streams may not).
  private static TestCrawler channel(SocketChannel ch) {
    return channel(ch, true);
  }

  private static TestCrawler channel(SocketChannel ch, boolean readNow) {
    return new TestCrawler(b -> ch.read(ByteBuffer.wrap(b)), b -> {
      ByteBuffer buf = ByteBuffer.wrap(b);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
    }, ch, readNow);
  }

  private void readLoop(Reader reader) {
    byte[] buf = new byte[64 * 1024];
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    try {
      reading.await();
      int n;
      while ((n = reader.read(buf)) > 0) {
        for (int i = 0; i < n; i++) {
          if (buf[i] == '\n') {
            lines.add(line.toString(StandardCharsets.UTF_8));
            line.reset();
          } else {
            line.write(buf[i]);
          }
        }
      }
    } catch (IOException e) {
      // connection reset or closed by the test: same as end of stream
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    lines.add(EOF);
  }

  void sendLine(String line) throws IOException {
    send((line + "\n").getBytes(StandardCharsets.UTF_8));
  }

  void send(JsonObject msg) throws IOException {
    sendLine(msg.encode());
  }

  void send(byte[] bytes) throws IOException {
    writer.write(bytes);
  }

  /** Writes {@code bytes} from another thread, so the test can read replies while the hub takes them. */
  java.util.concurrent.CompletableFuture<Void> sendAsync(byte[] bytes) {
    return java.util.concurrent.CompletableFuture.runAsync(() -> {
      try {
        send(bytes);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  /** The next line from the hub as JSON; fails when none arrives in time or the hub closed. */
  JsonObject next() throws InterruptedException {
    String l = lines.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    if (l == null) {
      throw new AssertionError("no line from the hub within " + WAIT);
    }
    if (l.equals(EOF)) {
      lines.add(EOF);
      throw new AssertionError("the hub closed the connection");
    }
    return new JsonObject(l);
  }

  List<JsonObject> next(int n) throws InterruptedException {
    List<JsonObject> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(next());
    }
    return out;
  }

  /** Waits until the hub closes the connection; returns the lines it sent before closing. */
  List<JsonObject> awaitClosed() throws InterruptedException {
    List<JsonObject> before = new ArrayList<>();
    Instant deadline = Instant.now().plus(WAIT);
    while (Instant.now().isBefore(deadline)) {
      String l = lines.poll(100, TimeUnit.MILLISECONDS);
      if (l == null) {
        continue;
      }
      if (l.equals(EOF)) {
        lines.add(EOF);
        return before;
      }
      before.add(new JsonObject(l));
    }
    throw new AssertionError("the hub did not close the connection within " + WAIT);
  }

  /** True when nothing (not even the end of the stream) arrives within {@code d}. */
  boolean silentFor(Duration d) throws InterruptedException {
    String l = lines.poll(d.toMillis(), TimeUnit.MILLISECONDS);
    if (l != null) {
      lines.add(l);
      return false;
    }
    return true;
  }

  @Override
  public void close() throws Exception {
    if (!closed) {
      closed = true;
      closer.close();
      reading.countDown(); // a reader still waiting to start finds the channel closed and ends
    }
  }

  static JsonObject msg(String type, JsonObject data) {
    return new JsonObject().put("type", type).put("timestamp", Instant.now().toString()).put("data", data);
  }

  static JsonObject hello(String crawlerId, String token) {
    JsonObject data = new JsonObject().put("crawlerId", crawlerId).put("version", "1.4.2")
        .put("capabilities", new io.vertx.core.json.JsonArray().add("areas"));
    if (token != null) {
      data.put("token", token);
    }
    return msg("hello", data);
  }

  static JsonObject heartbeat(String status, int activeJobs) {
    return msg("heartbeat", new JsonObject().put("activeJobs", activeJobs).put("totalProcessed", 0)
        .put("systemStatus", status));
  }

  static JsonObject jobRequest(int seq) {
    return msg("job_request", new JsonObject().put("seq", seq));
  }
}
