package org.crawlerhub.protocol;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/** Every message type of the wire protocol (SPEC §1.3, §1.4), with its direction. */
public enum MessageType {
  // crawler -> hub
  HEARTBEAT("heartbeat", Direction.INBOUND),
  JOB_REQUEST("job_request", Direction.INBOUND),
  JOB_STARTED("job_started", Direction.INBOUND),
  JOB_PROGRESS("job_progress", Direction.INBOUND),
  JOB_COMPLETED("job_completed", Direction.INBOUND),
  JOB_FAILED("job_failed", Direction.INBOUND),
  JOBS_DISCOVERED("jobs_discovered", Direction.INBOUND),
  DISCOVERY("discovery", Direction.INBOUND),
  TOKEN_REFRESH_REQUEST("token_refresh_request", Direction.INBOUND),
  HELLO("hello", Direction.INBOUND),
  // hub -> crawler
  JOB_RESPONSE("job_response", Direction.OUTBOUND),
  TOKEN_REFRESH_RESPONSE("token_refresh_response", Direction.OUTBOUND),
  JOB_ASSIGNMENT("job_assignment", Direction.OUTBOUND),
  SHUTDOWN("shutdown", Direction.OUTBOUND),
  ERROR("error", Direction.OUTBOUND),
  WELCOME("welcome", Direction.OUTBOUND);

  public enum Direction { INBOUND, OUTBOUND }

  private static final Map<String, MessageType> BY_WIRE = new HashMap<>();

  static {
    for (MessageType t : values()) {
      BY_WIRE.put(t.wire, t);
    }
  }

  private final String wire;
  private final Direction direction;

  MessageType(String wire, Direction direction) {
    this.wire = wire;
    this.direction = direction;
  }

  public String wire() {
    return wire;
  }

  public Direction direction() {
    return direction;
  }

  public boolean inbound() {
    return direction == Direction.INBOUND;
  }

  private static final MessageType[] ALL = values();
  private static final byte[][] WIRE_BYTES = new byte[ALL.length][];

  static {
    for (MessageType t : ALL) {
      WIRE_BYTES[t.ordinal()] = t.wire.getBytes(StandardCharsets.US_ASCII);
    }
  }

  /**
   * The type whose wire name is exactly the bytes {@code [start, end)} of {@code line}, or null:
   * the name is compared in place (no String is made for it).
   */
  public static MessageType fromWire(Buffer line, int start, int end) {
    int len = end - start;
    for (MessageType t : ALL) {
      byte[] w = WIRE_BYTES[t.ordinal()];
      if (w.length == len && matches(line, start, w)) {
        return t;
      }
    }
    return null;
  }

  private static boolean matches(Buffer line, int start, byte[] w) {
    for (int i = w.length - 1; i >= 0; i--) { // names share prefixes (job_, token_refresh_): from the end
      if (line.getByte(start + i) != w[i]) {
        return false;
      }
    }
    return true;
  }

  /** The type for a wire name, or null when unknown. */
  public static MessageType fromWire(String wire) {
    return wire == null ? null : BY_WIRE.get(wire);
  }
}
