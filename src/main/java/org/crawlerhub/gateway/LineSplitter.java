package org.crawlerhub.gateway;

import io.netty.buffer.ByteBuf;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;

/**
 * NDJSON framing for one socket (SPEC §1.1): splits each read into {@code \n}-terminated lines
 * without copying them. A complete line inside one read is handed out as a slice of the read
 * buffer; only a partial line at the end of a read is copied (into a small owned buffer) and
 * completed by the next read. Replaces Vert.x's {@code RecordParser}, which copies every line.
 *
 * <p>Behaviour matches {@code RecordParser.newDelimited("\n").maxRecordSize(max)}: lines come
 * without their {@code \n} (a trailing {@code \r} and empty lines are left to the sink), all
 * complete lines of a read are delivered before the read's partial tail is checked, and a partial
 * tail longer than {@code max} bytes is an overflow. A complete line longer than {@code max} is
 * still delivered (the sink checks its length, as before). After an overflow the stream cannot be
 * resynchronised: the splitter drops the tail and ignores all further input.
 *
 * <p>A line is only valid during {@link Sink#line}: it may share memory with the read buffer (or
 * with the splitter's own tail), so a sink must not keep it. Not thread-safe: one event loop.
 */
final class LineSplitter {
  private static final byte LF = '\n';

  /** Receives the lines of a read, in order, and the overflow of a partial line. */
  interface Sink {
    /** One complete line without its {@code \n}; valid only during this call. */
    void line(Buffer line);

    /**
     * The partial line buffered across reads exceeds the maximum (called at most once);
     * {@code lineStart} is its first bytes (at most {@link #HEAD_BYTES}, valid only during the
     * call), enough to tell its type.
     */
    void overflow(Buffer lineStart);
  }

  /** How much of an overflowing line its sink sees. */
  static final int HEAD_BYTES = 64;

  private final int maxLength;
  private final Sink sink;
  /** The partial line left by earlier reads (an owned copy), or null when there is none. */
  private Buffer tail;
  private boolean overflowed;

  LineSplitter(int maxLength, Sink sink) {
    this.maxLength = maxLength;
    this.sink = sink;
  }

  /** Splits one read; delivers its complete lines, keeps (a copy of) its partial tail. */
  void handle(Buffer chunk) {
    if (overflowed) {
      return;
    }
    int len = chunk.length();
    ByteBuf bytes = chunk instanceof BufferInternal bi ? bi.getByteBuf() : null;
    int start = 0;
    if (tail != null) {
      int nl = indexOfLf(chunk, bytes, 0, len);
      if (nl < 0) {
        if ((long) tail.length() + len > maxLength) {
          overflow(tail);
        } else {
          tail.appendBuffer(chunk);
        }
        return;
      }
      Buffer line = tail;
      tail = null;
      if (nl > 0) {
        line.appendBuffer(chunk, 0, nl);
      }
      sink.line(line);
      start = nl + 1;
    }
    while (start < len) {
      int nl = indexOfLf(chunk, bytes, start, len);
      if (nl < 0) {
        break;
      }
      sink.line(chunk.slice(start, nl));
      start = nl + 1;
    }
    int rest = len - start;
    if (rest > 0) {
      if (rest > maxLength) {
        overflow(chunk.slice(start, len));
        return;
      }
      // copy, so an idle connection never pins a whole read buffer for its last few bytes
      tail = Buffer.buffer(Math.max(rest, 128)).appendBuffer(chunk, start, rest);
    }
  }

  /** Bytes of the partial line buffered across reads (for tests). */
  int buffered() {
    return tail == null ? 0 : tail.length();
  }

  private void overflow(Buffer line) {
    overflowed = true;
    tail = null;
    sink.overflow(line.length() > HEAD_BYTES ? line.slice(0, HEAD_BYTES) : line);
  }

  private static int indexOfLf(Buffer chunk, ByteBuf bytes, int from, int to) {
    if (bytes != null) {
      // getByteBuf() is a view with reader index 0; Netty's indexOf scans 8 bytes at a time
      return bytes.indexOf(from, to, LF);
    }
    for (int i = from; i < to; i++) {
      if (chunk.getByte(i) == LF) {
        return i;
      }
    }
    return -1;
  }
}
