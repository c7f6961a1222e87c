package org.crawlerhub.persistence;

/** A refused job operation with an HTTP-like status and a code: 404 NOT_FOUND, 409 CONFLICT / ILLEGAL_TRANSITION. */
public final class JobStoreException extends RuntimeException {
  private final int status;
  private final String code;

  public JobStoreException(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public static JobStoreException notFound(String jobId) {
    return new JobStoreException(404, "NOT_FOUND", "job " + jobId + " does not exist");
  }

  public static JobStoreException illegal(String jobId, String status, String action) {
    return new JobStoreException(409, "ILLEGAL_TRANSITION", "job " + jobId + " is " + status + "; cannot " + action);
  }
}
