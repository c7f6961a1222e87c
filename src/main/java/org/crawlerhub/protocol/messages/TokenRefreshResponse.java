package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.crawlerhub.protocol.MessageType;

/**
 * {@code token_refresh_response}: always sent for a request; {@code accessToken} is {@code ""} on
 * failure and {@code expiresAt} is null when unknown (never invented). toString masks the token.
 */
public record TokenRefreshResponse(String jobId, String accessToken, boolean refreshSuccessful, String expiresAt,
    String error) implements WireMessage {
  public TokenRefreshResponse {
    accessToken = accessToken == null ? "" : accessToken;
  }

  public static TokenRefreshResponse from(JsonObject envelopeOrData) {
    Map<String, Object> d = Fields.data(envelopeOrData);
    return new TokenRefreshResponse(Fields.jobId(envelopeOrData), Fields.string(d, "accessToken"),
        Boolean.TRUE.equals(Fields.bool(d, "refreshSuccessful")), Fields.string(d, "expiresAt"),
        Fields.string(d, "error"));
  }

  @Override
  public MessageType type() {
    return MessageType.TOKEN_REFRESH_RESPONSE;
  }

  @Override
  public JsonObject toJson() {
    JsonObject d = new JsonObject().put("accessToken", accessToken).put("refreshSuccessful", refreshSuccessful);
    Fields.putIf(d, "expiresAt", expiresAt);
    Fields.putIf(d, "error", error);
    return Fields.envelope(type(), jobId, d);
  }

  @Override
  public String toString() {
    return "TokenRefreshResponse[jobId=" + jobId + ", accessToken=" + Fields.mask(accessToken)
        + ", refreshSuccessful=" + refreshSuccessful + ", expiresAt=" + expiresAt + ", error=" + error + "]";
  }
}
