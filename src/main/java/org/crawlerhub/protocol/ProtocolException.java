package org.crawlerhub.protocol;

/**
 * A rejected message: the wire code, a human-readable message naming the field(s) at fault, and
 * the rejected message's type and jobId when known. Handlers throw (or fail futures with) this;
 * one mapper ({@link ErrorCode} + the frame factory) turns it into an {@code error} frame.
 */
public class ProtocolException extends RuntimeException {
  private final ErrorCode code;
  private final String refType;
  private final String jobId;

  public ProtocolException(ErrorCode code, String message) {
    this(code, message, null, null);
  }

  public ProtocolException(ErrorCode code, String message, String refType, String jobId) {
    super(message, null, false, false);
    this.code = code;
    this.refType = refType;
    this.jobId = jobId;
  }

  public ErrorCode code() {
    return code;
  }

  public String refType() {
    return refType;
  }

  public String jobId() {
    return jobId;
  }

  public ProtocolException withRef(String refType, String jobId) {
    return new ProtocolException(code, getMessage(), refType, jobId);
  }
}
