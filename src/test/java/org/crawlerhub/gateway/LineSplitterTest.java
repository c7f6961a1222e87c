package org.crawlerhub.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.parsetools.RecordParser;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("LineSplitter (NDJSON framing without per-line copies)")
class LineSplitterTest {

  private static final int MAX = 64;

  /** Records lines as strings and an overflow as "!OVERFLOW". */
  private static final class Recorder implements LineSplitter.Sink {
    final List<String> events = new ArrayList<>();

    @Override
    public void line(Buffer line) {
      events.add(line.toString(StandardCharsets.UTF_8));
    }

    @Override
    public void overflow(Buffer lineStart) {
      events.add("!OVERFLOW");
    }
  }

  private static Buffer buf(String s) {
    return Buffer.buffer(s.getBytes(StandardCharsets.UTF_8));
  }

  private static List<String> split(int max, String... chunks) {
    Recorder r = new Recorder();
    LineSplitter s = new LineSplitter(max, r);
    for (String c : chunks) {
      s.handle(buf(c));
    }
    return r.events;
  }

  @Test
  @DisplayName("an overflowing line shows its sink its first bytes (enough to tell its type), in one read or over several")
  void overflowShowsTheLineStart() {
    for (String[] chunks : new String[][] {
        {"{\"type\":\"jobs_discovered\",\"data\":{\"discovered_jobs\":[" + "x".repeat(200)},
        {"{\"type\":\"jobs_discovered\",", "\"data\":{", "x".repeat(200)}}) {
      List<String> starts = new ArrayList<>();
      LineSplitter s = new LineSplitter(100, new LineSplitter.Sink() {
        @Override
        public void line(Buffer line) {
          throw new AssertionError("no complete line expected");
        }

        @Override
        public void overflow(Buffer lineStart) {
          starts.add(lineStart.toString(StandardCharsets.UTF_8));
        }
      });
      for (String c : chunks) {
        s.handle(buf(c));
      }
      assertThat(starts).hasSize(1);
      assertThat(starts.get(0)).startsWith("{\"type\":\"jobs_discovered\",").hasSizeLessThanOrEqualTo(LineSplitter.HEAD_BYTES);
    }
  }

  @Test
  @DisplayName("several lines in one read, in order, without their \\n")
  void severalLinesPerRead() {
    assertThat(split(MAX, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n"))
        .containsExactly("{\"a\":1}", "{\"b\":2}", "{\"c\":3}");
  }

  @Test
  @DisplayName("a line split across two reads at every byte position")
  void splitAtEveryPosition() {
    String data = "{\"type\":\"heartbeat\"}\r\n\n{\"x\":\"é€\"}\n";
    byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
    for (int cut = 0; cut <= bytes.length; cut++) {
      Recorder r = new Recorder();
      LineSplitter s = new LineSplitter(MAX, r);
      s.handle(Buffer.buffer().appendBytes(bytes, 0, cut));
      s.handle(Buffer.buffer().appendBytes(bytes, cut, bytes.length - cut));
      assertThat(r.events).as("cut at %d", cut)
          .containsExactly("{\"type\":\"heartbeat\"}\r", "", "{\"x\":\"é€\"}");
      assertThat(s.buffered()).isZero();
    }
  }

  @Test
  @DisplayName("one byte per read")
  void oneBytePerRead() {
    String data = "ab\ncd\r\n\nef";
    Recorder r = new Recorder();
    LineSplitter s = new LineSplitter(MAX, r);
    for (byte b : data.getBytes(StandardCharsets.UTF_8)) {
      s.handle(Buffer.buffer().appendByte(b));
    }
    assertThat(r.events).containsExactly("ab", "cd\r", "");
    assertThat(s.buffered()).isEqualTo(2);
  }

  @Test
  @DisplayName("\\r\\n and empty lines are passed through for the connection to tolerate/ignore")
  void crlfAndEmptyLines() {
    assertThat(split(MAX, "\n\r\n{}\r\n\n")).containsExactly("", "\r", "{}\r", "");
    assertThat(split(MAX, "{}\r", "\n")).containsExactly("{}\r");
    assertThat(split(MAX, "", "{}", "", "\n")).containsExactly("{}");
  }

  @Test
  @DisplayName("a partial tail of exactly maxMessageSize is kept; one byte over is an overflow")
  void partialTailAtTheLimit() {
    String atLimit = "x".repeat(MAX);
    assertThat(split(MAX, atLimit, "\n")).containsExactly(atLimit);
    assertThat(split(MAX, "x".repeat(MAX / 2), "x".repeat(MAX / 2), "\n")).containsExactly(atLimit);
    assertThat(split(MAX, "a\n" + atLimit, "\n")).containsExactly("a", atLimit);

    assertThat(split(MAX, atLimit + "x")).containsExactly("!OVERFLOW");
    assertThat(split(MAX, atLimit, "x")).containsExactly("!OVERFLOW");
    assertThat(split(MAX, "x".repeat(MAX - 3), "xxxx\n")).containsExactly("x".repeat(MAX + 1));
  }

  @Test
  @DisplayName("complete lines of a read are delivered before the read's over-long partial tail overflows")
  void linesBeforeOverflow() {
    assertThat(split(MAX, "a\nb\n" + "y".repeat(MAX + 1))).containsExactly("a", "b", "!OVERFLOW");
  }

  @Test
  @DisplayName("a complete line over the limit in one read is delivered whole (the connection rejects it)")
  void completeOverlongLine() {
    String over = "z".repeat(MAX + 1);
    assertThat(split(MAX, over + "\nnext\n")).containsExactly(over, "next");
    String exact = "z".repeat(MAX);
    assertThat(split(MAX, exact + "\n")).containsExactly(exact);
  }

  @Test
  @DisplayName("after an overflow all further input is ignored and nothing is buffered")
  void ignoresInputAfterOverflow() {
    Recorder r = new Recorder();
    LineSplitter s = new LineSplitter(MAX, r);
    s.handle(buf("q".repeat(MAX + 10)));
    s.handle(buf("\nok\n"));
    s.handle(buf("more"));
    assertThat(r.events).containsExactly("!OVERFLOW");
    assertThat(s.buffered()).isZero();
  }

  @Test
  @DisplayName("complete lines are slices of the read buffer (no copy); the tail is an owned copy")
  void linesShareTheReadBuffer() {
    Buffer chunk = buf("abc\ndef\nghi");
    List<Character> firstBytes = new ArrayList<>();
    LineSplitter s = new LineSplitter(MAX, new LineSplitter.Sink() {
      @Override
      public void line(Buffer line) {
        int at = line.toString(StandardCharsets.UTF_8).startsWith("a") ? 0 : 4;
        chunk.setByte(at, (byte) 'X');
        firstBytes.add((char) line.getByte(0));
      }

      @Override
      public void overflow(Buffer lineStart) {
        throw new AssertionError("no overflow expected");
      }
    });
    s.handle(chunk);
    assertThat(firstBytes).containsExactly('X', 'X');
    chunk.setByte(8, (byte) 'Y'); // the tail was copied: changing the read buffer later does not matter
    Recorder r = new Recorder();
    LineSplitter t = new LineSplitter(MAX, r);
    Buffer c2 = buf("ab\nghi");
    t.handle(c2);
    c2.setByte(3, (byte) 'Y');
    t.handle(buf("\n"));
    assertThat(r.events).containsExactly("ab", "ghi");
  }

  @Test
  @DisplayName("same lines and overflows as Vert.x RecordParser for random data cut into random reads")
  void matchesRecordParser() {
    Random rnd = new Random(42);
    String alphabet = "ab{}\"\r\n\n";
    for (int iter = 0; iter < 3000; iter++) {
      int max = 1 + rnd.nextInt(24);
      StringBuilder sb = new StringBuilder();
      int n = rnd.nextInt(120);
      for (int i = 0; i < n; i++) {
        // sometimes long runs without \n to provoke overflows
        sb.append(rnd.nextInt(10) == 0 ? "c".repeat(rnd.nextInt(30)) : alphabet.charAt(rnd.nextInt(alphabet.length())));
      }
      byte[] data = sb.toString().getBytes(StandardCharsets.UTF_8);
      List<Buffer> chunks = new ArrayList<>();
      for (int pos = 0; pos < data.length; ) {
        int len = Math.min(data.length - pos, rnd.nextInt(40));
        chunks.add(Buffer.buffer().appendBytes(data, pos, len));
        pos += len;
      }

      List<String> expected = new ArrayList<>();
      RecordParser parser = RecordParser.newDelimited("\n");
      parser.maxRecordSize(max);
      boolean[] failed = new boolean[1];
      parser.handler(line -> {
        if (!failed[0]) {
          expected.add(line.toString(StandardCharsets.UTF_8));
        }
      });
      parser.exceptionHandler(e -> {
        if (!failed[0]) {
          failed[0] = true;
          expected.add("!OVERFLOW");
        }
      });
      Recorder r = new Recorder();
      LineSplitter s = new LineSplitter(max, r);
      for (Buffer c : chunks) {
        parser.handle(c.copy());
        s.handle(c);
      }
      assertThat(r.events).as("iteration %d, max %d, data %s", iter, max, sb).isEqualTo(expected);
    }
  }
}
