package org.crawlerhub.persistence;

import io.vertx.pgclient.PgException;

/** Tells database outages (retry later) from errors a retry cannot fix (a bug, a constraint). */
public final class PgErrors {
  private PgErrors() {}

  /**
   * True when the failure looks like the database being unreachable or briefly unable to serve:
   * connection errors, admin shutdown (57xxx), resource errors (53xxx), serialization/deadlock
   * (40xxx). Any other server error is permanent.
   */
  public static boolean isTransient(Throwable t) {
    if (t instanceof PgException pe) {
      String state = pe.getSqlState();
      return state == null || state.startsWith("08") || state.startsWith("57")
          || state.startsWith("53") || state.startsWith("40");
    }
    return !(t instanceof NullPointerException || t instanceof IllegalArgumentException
        || t instanceof ClassCastException || t instanceof IndexOutOfBoundsException);
  }

  /**
   * A deadlock or serialization failure (SQLSTATE 40P01, 40001): PostgreSQL aborted this one
   * transaction to let a concurrent one go on. The database is fine; running it again is the fix.
   */
  public static boolean isConflict(Throwable t) {
    return t instanceof PgException pe && ("40P01".equals(pe.getSqlState()) || "40001".equals(pe.getSqlState()));
  }

  /**
   * A failure after which a single (autocommit) statement may still have run and committed: the
   * connection broke with no answer. An error from the server (any {@link PgException}) means the
   * statement was rolled back; a connection that could not be opened never carried it.
   */
  public static boolean mayHaveRun(Throwable t) {
    return isTransient(t) && !(t instanceof PgException) && !(t instanceof java.net.ConnectException);
  }

  /** A short description for logs and error messages; never carries bound parameters. */
  public static String describe(Throwable t) {
    if (t instanceof PgException pe) {
      return "PostgreSQL " + pe.getSqlState() + ": " + pe.getErrorMessage();
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }
}
