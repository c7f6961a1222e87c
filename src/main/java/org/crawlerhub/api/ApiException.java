package org.crawlerhub.api;

import io.vertx.core.json.DecodeException;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.crawlerhub.protocol.ProtocolException;

/**
 * An HTTP error answer: status, machine-readable code and a message naming the field at fault.
 * {@link #from(Throwable)} is THE mapping from any failure (bus reply failures, validation, bad
 * JSON) to what the client sees; handlers only throw or fail futures.
 */
final class ApiException extends RuntimeException {
  private static final Pattern CODE_PREFIX = Pattern.compile("^([A-Z][A-Z_]+):\\s*(.*)$", Pattern.DOTALL);
  private static final Pattern FIELD = Pattern.compile("^\\s*([A-Za-z_\\[\\]0-9.]+):");

  private final int status;
  private final String code;

  ApiException(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  static ApiException badRequest(String message) {
    return new ApiException(400, "VALIDATION_FAILED", message);
  }

  static ApiException notFound(String message) {
    return new ApiException(404, "NOT_FOUND", message);
  }

  int status() {
    return status;
  }

  String code() {
    return code;
  }

  /** {"error": code, "message": …, "fields": [...]} — fields only when the message names some. */
  JsonObject toJson() {
    JsonObject body = new JsonObject().put("error", code).put("message", getMessage());
    if (status == 400) {
      List<String> fields = fieldsOf(getMessage());
      if (!fields.isEmpty()) {
        body.put("fields", new JsonArray(fields));
      }
    }
    return body;
  }

  /** Field paths named by a validation message of the form {@code a.b: why; c: why}. */
  static List<String> fieldsOf(String message) {
    List<String> out = new ArrayList<>();
    if (message == null) {
      return out;
    }
    for (String part : message.split(";")) {
      Matcher m = FIELD.matcher(part);
      if (m.find()) {
        out.add(m.group(1));
      }
    }
    return out;
  }

  /** Maps any failure to the HTTP answer. {@code service} names the bus service for 503s. */
  static ApiException from(Throwable t, String service) {
    if (t instanceof ApiException e) {
      return e;
    }
    if (t instanceof ProtocolException pe) {
      return new ApiException(400, pe.code().name(), pe.getMessage());
    }
    if (t instanceof DecodeException) {
      return new ApiException(400, "INVALID_JSON", "request body is not valid JSON");
    }
    if (t instanceof ReplyException re) {
      if (re.failureType() == ReplyFailure.NO_HANDLERS) {
        return new ApiException(503, "UNAVAILABLE", service + " is not running on this hub");
      }
      if (re.failureType() == ReplyFailure.TIMEOUT) {
        return new ApiException(503, "TIMEOUT", service + " did not answer in time");
      }
      int status = re.failureCode() >= 400 && re.failureCode() <= 599 ? re.failureCode() : 500;
      String msg = String.valueOf(re.getMessage());
      Matcher m = CODE_PREFIX.matcher(msg);
      if (m.matches()) {
        return new ApiException(status, m.group(1), m.group(2));
      }
      return new ApiException(status, defaultCode(status), msg);
    }
    return new ApiException(500, "INTERNAL", "internal error: " + t.getClass().getSimpleName());
  }

  private static String defaultCode(int status) {
    return switch (status) {
      case 400 -> "VALIDATION_FAILED";
      case 401 -> "UNAUTHENTICATED";
      case 404 -> "NOT_FOUND";
      case 409 -> "CONFLICT";
      case 503 -> "UNAVAILABLE";
      default -> "INTERNAL";
    };
  }
}
