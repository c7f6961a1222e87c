package org.crawlerhub.testing;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.function.Predicate;

/**
 * A plain NDJSON crawler client for tests: writes lines, reads lines with a deadline. Talks over a
 * Unix domain socket or TCP, blocking, off the Vert.x event loops.
 */
public final class LineClient implements AutoCloseable {
  private final SocketChannel channel;
  private final Selector selector;
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
  private final ArrayDeque<String> lines = new ArrayDeque<>();
  private final ByteBuffer readBuf = ByteBuffer.allocate(64 * 1024);
  private boolean eof;

  private LineClient(SocketChannel channel) throws IOException {
    this.channel = channel;
    channel.configureBlocking(false);
    this.selector = Selector.open();
    channel.register(selector, SelectionKey.OP_READ);
  }

  public static LineClient unix(Path socket) throws IOException {
    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
    ch.connect(UnixDomainSocketAddress.of(socket));
    return new LineClient(ch);
  }

  public static LineClient tcp(String host, int port) throws IOException {
    SocketChannel ch = SocketChannel.open(new InetSocketAddress(host, port));
    return new LineClient(ch);
  }

  public static JsonObject msg(String type, String jobId, JsonObject data) {
    JsonObject m = new JsonObject().put("type", type).put("timestamp", Instant.now().toString());
    if (jobId != null) {
      m.put("jobId", jobId);
    }
    return m.put("data", data);
  }

  public LineClient send(JsonObject message) throws IOException {
    return sendRaw(message.encode() + "\n");
  }

  public LineClient sendRaw(String text) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      channel.write(b);
    }
    return this;
  }

  /** The next line as JSON, or fails when none arrives within the timeout. */
  public JsonObject read(Duration timeout) throws IOException {
    String line = readLine(timeout);
    if (line == null) {
      throw new IOException(eof ? "connection closed" : "no line within " + timeout);
    }
    return new JsonObject(line);
  }

  /** Reads lines until one matches, failing after the timeout. */
  public JsonObject readUntil(Predicate<JsonObject> match, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new IOException("no matching line within " + timeout);
      }
      JsonObject m = read(Duration.ofNanos(left));
      if (match.test(m)) {
        return m;
      }
    }
  }

  /** Reads a line, or null at end of stream or after the timeout. */
  public String readLine(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (lines.isEmpty() && !eof) {
      long leftMs = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
      if (deadline - System.nanoTime() <= 0) {
        return null;
      }
      selector.select(leftMs);
      selector.selectedKeys().clear();
      readBuf.clear();
      int n = channel.read(readBuf);
      if (n < 0) {
        eof = true;
      } else {
        for (int i = 0; i < n; i++) {
          byte b = readBuf.get(i);
          if (b == '\n') {
            lines.add(partial.toString(StandardCharsets.UTF_8));
            partial.reset();
          } else {
            partial.write(b);
          }
        }
      }
    }
    return lines.poll();
  }

  /** True once the hub closed the connection (reads until end of stream or the timeout). */
  public boolean awaitClosed(Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!eof && System.nanoTime() < deadline) {
      readLine(Duration.ofMillis(50));
      lines.clear();
    }
    return eof;
  }

  @Override
  public void close() throws IOException {
    selector.close();
    channel.close();
  }
}
