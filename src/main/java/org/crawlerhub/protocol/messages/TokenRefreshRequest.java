package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Set;
import org.crawlerhub.protocol.MessageType;

/** {@code token_refresh_request}: the job's access token stopped working (SPEC §2.4). */
public record TokenRefreshRequest(String jobId, Boolean currentTokenExpired, String lastSuccessfulRequest,
    String errorDetails, JsonObject extras) implements WireMessage {
  private static final Set<String> KNOWN =
      Set.of("current_token_expired", "last_successful_request", "error_details");

  public TokenRefreshRequest {
    extras = Fields.copyOrEmpty(extras);
  }

  @Override
  public JsonObject extras() {
    return extras.copy();
  }

  public static TokenRefreshRequest from(JsonObject envelopeOrData) {
    Map<String, Object> d = Fields.data(envelopeOrData);
    return new TokenRefreshRequest(Fields.jobId(envelopeOrData), Fields.bool(d, "current_token_expired"),
        Fields.string(d, "last_successful_request"), Fields.string(d, "error_details"), Fields.extras(d, KNOWN));
  }

  @Override
  public MessageType type() {
    return MessageType.TOKEN_REFRESH_REQUEST;
  }

  @Override
  public JsonObject toJson() {
    JsonObject d = Fields.dataWith(extras);
    Fields.putIf(d, "current_token_expired", currentTokenExpired);
    Fields.putIf(d, "last_successful_request", lastSuccessfulRequest);
    Fields.putIf(d, "error_details", errorDetails);
    return Fields.envelope(type(), jobId, d);
  }
}
