package org.crawlerhub.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Hub->crawler messages (SPEC §1.4): frames, defaults and the outbound schema. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OutboundValidationTest {
  private static final String TS = "2025-07-30T10:15:01.180Z";

  static JsonObject simpleJob() {
    return new JsonObject().put("id", "job-1").put("entityType", "project").put("entityId", "gitlab-org/gitlab")
        .put("gitlabUrl", "https://gitlab.example.com").put("accessToken", "glpat-xyz");
  }

  static JsonObject envelope(String type, JsonObject data) {
    return new JsonObject().put("type", type).put("timestamp", TS).put("data", data);
  }

  static Stream<JsonObject> framesMadeByFrames() {
    return Stream.of(
        Frames.jobResponse(new JsonArray()),
        Frames.jobResponse(new JsonArray().add(simpleJob())
            .add(simpleJob().put("id", "job-2").put("entityId", 9970)
                .put("resumeState", new JsonObject().put("lastEntityId", "77").put("currentPage", 3)))),
        Frames.tokenRefreshResponse("job-1", "glpat-new", true, "2025-07-31T10:15:01Z", null),
        Frames.tokenRefreshResponse("job-1", null, false, null, "no token provider"),
        Frames.shutdown(true, 30, "hub stopping"),
        Frames.shutdown(false, 0, null),
        Frames.welcome("crawler-7", "node-1", 30000, 90000, 1048576, 5),
        Frames.error(ErrorCode.VALIDATION_FAILED, "data.processed: required number", "job_progress", "job-1"),
        Frames.error(ErrorCode.INTERNAL, "internal error", null, null),
        Frames.errorFrom(new ProtocolException(ErrorCode.STALE_LEASE, "lease lost"), "job_completed", "job-1"),
        Frames.errorFrom(new ReplyException(ReplyFailure.TIMEOUT, "timeout"), "job_request", null),
        Frames.errorFrom(new IllegalStateException("boom"), null, null));
  }

  @ParameterizedTest
  @MethodSource("framesMadeByFrames")
  @DisplayName("Every frame made by Frames passes outbound validation and carries an Instant timestamp.")
  void framesAreValid(JsonObject frame) {
    // GIVEN a frame from the factory
    // WHEN it is validated as outbound
    // THEN it passes and its timestamp parses as an Instant
    assertThatCode(() -> MessageValidator.validateOutbound(frame)).doesNotThrowAnyException();
    assertThat(Instant.parse(frame.getString("timestamp"))).isNotNull();
    assertThat(ProtocolCodec.encode(frame).toString()).endsWith("}\n").doesNotContain("\n{");
  }

  @Test
  @DisplayName("prepareOutbound fills the timestamp and the job_assignment defaults.")
  void prepareOutboundFillsJobAssignmentDefaults() {
    // GIVEN a job_assignment from the web app without timestamp, priority or resume
    JsonObject msg = new JsonObject().put("type", "job_assignment").put("data", new JsonObject()
        .put("job_id", "job-5").put("job_type", "crawl_project").put("entity_id", 278964)
        .put("namespace_path", "gitlab-org/gitlab").put("gitlab_host", "gitlab.example.com")
        .put("access_token", "glpat-1").putNull("priority"));

    // WHEN it is prepared
    JsonObject ready = MessageValidator.prepareOutbound(msg);

    // THEN the defaults are applied (null counted as absent) and the timestamp is an Instant
    assertThat(ready).isSameAs(msg);
    assertThat(Instant.parse(ready.getString("timestamp"))).isNotNull();
    assertThat(ready.getJsonObject("data").getInteger("priority")).isEqualTo(1);
    assertThat(ready.getJsonObject("data").getBoolean("resume")).isFalse();
  }

  @Test
  @DisplayName("prepareOutbound fills the shutdown defaults and keeps given values.")
  void prepareOutboundFillsShutdownDefaults() {
    // GIVEN a bare shutdown and one with explicit values
    JsonObject bare = new JsonObject().put("type", "shutdown").put("data", new JsonObject());
    JsonObject explicit = envelope("shutdown", new JsonObject().put("graceful", false).put("timeout_seconds", 5));

    // WHEN both are prepared
    MessageValidator.prepareOutbound(bare);
    MessageValidator.prepareOutbound(explicit);

    // THEN defaults only fill what is absent
    assertThat(bare.getJsonObject("data").getBoolean("graceful")).isTrue();
    assertThat(bare.getJsonObject("data").getInteger("timeout_seconds")).isEqualTo(30);
    assertThat(explicit.getJsonObject("data").getBoolean("graceful")).isFalse();
    assertThat(explicit.getJsonObject("data").getInteger("timeout_seconds")).isEqualTo(5);
    assertThat(explicit.getString("timestamp")).isEqualTo(TS);
  }

  @Test
  @DisplayName("prepareOutbound removes nulls so absent optional fields are omitted on the wire.")
  void prepareOutboundOmitsNulls() {
    // GIVEN a token_refresh_response with an unknown expiry given as null
    JsonObject msg = new JsonObject().put("type", "token_refresh_response").put("jobId", "job-1")
        .put("data", new JsonObject().put("accessToken", "t").put("refreshSuccessful", true).putNull("expiresAt"));

    // WHEN it is prepared and encoded
    String wire = ProtocolCodec.encode(MessageValidator.prepareOutbound(msg)).toString();

    // THEN expiresAt is not invented and not sent as null
    assertThat(wire).doesNotContain("expiresAt");
  }

  @Test
  @DisplayName("validateOutbound accepts an absent timestamp because it is filled in before writing.")
  void absentTimestampIsAcceptedOutbound() {
    // GIVEN a job_response without timestamp
    JsonObject msg = new JsonObject().put("type", "job_response")
        .put("data", new JsonObject().put("jobs", new JsonArray()));

    // WHEN validated
    // THEN it passes
    assertThatCode(() -> MessageValidator.validateOutbound(msg)).doesNotThrowAnyException();
  }

  record BadOutbound(String name, JsonObject msg, ErrorCode code, List<String> mentions) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<BadOutbound> invalidOutbound() {
    return Stream.of(
        new BadOutbound("no type", new JsonObject().put("data", new JsonObject()),
            ErrorCode.VALIDATION_FAILED, List.of("type: required string")),
        new BadOutbound("inbound type", envelope("heartbeat", new JsonObject()),
            ErrorCode.UNKNOWN_TYPE, List.of("type:", "heartbeat")),
        new BadOutbound("unknown type", envelope("job_push", new JsonObject()),
            ErrorCode.UNKNOWN_TYPE, List.of("type:", "job_push")),
        new BadOutbound("no data", new JsonObject().put("type", "shutdown"),
            ErrorCode.VALIDATION_FAILED, List.of("data: required object")),
        new BadOutbound("timestamp number", envelope("shutdown", new JsonObject()).put("timestamp", 1),
            ErrorCode.VALIDATION_FAILED, List.of("timestamp: must be a string")),
        new BadOutbound("job_response without jobs", envelope("job_response", new JsonObject()),
            ErrorCode.VALIDATION_FAILED, List.of("data.jobs: required array")),
        new BadOutbound("SimpleJob missing fields", envelope("job_response", new JsonObject().put("jobs",
            new JsonArray().add(simpleJob()).add(new JsonObject().put("id", "job-2")))),
            ErrorCode.VALIDATION_FAILED, List.of("data.jobs[1].entityType: required string",
                "data.jobs[1].entityId: required string or number", "data.jobs[1].gitlabUrl: required string",
                "data.jobs[1].accessToken: required string")),
        new BadOutbound("SimpleJob bad resumeState", envelope("job_response", new JsonObject().put("jobs",
            new JsonArray().add(simpleJob().put("resumeState", new JsonObject().put("currentPage", "2"))))),
            ErrorCode.VALIDATION_FAILED, List.of("data.jobs[0].resumeState.currentPage: must be a number")),
        new BadOutbound("SimpleJob not an object", envelope("job_response", new JsonObject().put("jobs",
            new JsonArray().add("job-1"))), ErrorCode.VALIDATION_FAILED, List.of("data.jobs[0]: must be an object")),
        new BadOutbound("token response without fields", envelope("token_refresh_response", new JsonObject()),
            ErrorCode.VALIDATION_FAILED, List.of("data.accessToken: required string",
                "data.refreshSuccessful: required boolean")),
        new BadOutbound("job_assignment without required fields", envelope("job_assignment", new JsonObject()
            .put("priority", "high")), ErrorCode.VALIDATION_FAILED, List.of("data.job_id: required string",
                "data.job_type: required string", "data.gitlab_host: required string",
                "data.access_token: required string", "data.priority: must be a number")),
        new BadOutbound("shutdown wrong types", envelope("shutdown", new JsonObject().put("graceful", "yes")
            .put("timeout_seconds", "30")), ErrorCode.VALIDATION_FAILED,
            List.of("data.graceful: must be a boolean", "data.timeout_seconds: must be a number")),
        new BadOutbound("error with unknown code", envelope("error", new JsonObject().put("code", "OOPS")
            .put("message", "x")), ErrorCode.VALIDATION_FAILED, List.of("data.code: must be one of", "\"OOPS\"")),
        new BadOutbound("error without message", envelope("error", new JsonObject().put("code", "INTERNAL")),
            ErrorCode.VALIDATION_FAILED, List.of("data.message: required string")),
        new BadOutbound("welcome without numbers", envelope("welcome", new JsonObject().put("crawlerId", "c")
            .put("nodeId", "n")), ErrorCode.VALIDATION_FAILED, List.of("data.heartbeatInterval: required number",
                "data.heartbeatTimeout: required number", "data.maxMessageSize: required number",
                "data.maxJobsPerRequest: required number")),
        new BadOutbound("jobId number", envelope("token_refresh_response", new JsonObject().put("accessToken", "")
            .put("refreshSuccessful", false)).put("jobId", 5), ErrorCode.VALIDATION_FAILED,
            List.of("jobId: must be a string")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidOutbound")
  @DisplayName("An invalid hub->crawler message is refused with its exact code, naming every field at fault.")
  void invalidOutboundIsRefused(BadOutbound c) {
    // GIVEN an invalid outbound message
    // WHEN it is prepared for writing
    ProtocolException e = catchThrowableOfType(ProtocolException.class,
        () -> MessageValidator.prepareOutbound(c.msg().copy()));

    // THEN it is refused with the expected code and every field named
    assertThat(e).isNotNull();
    assertThat(e.code()).as("code (message: %s)", e.getMessage()).isEqualTo(c.code());
    for (String mention : c.mentions()) {
      assertThat(e.getMessage()).contains(mention);
    }
  }

  @Test
  @DisplayName("An access token never appears in an outbound validation message.")
  void tokensAreNotEchoed() {
    // GIVEN a SimpleJob whose accessToken has the wrong type and whose gitlabUrl is missing
    JsonObject job = simpleJob().put("accessToken", 12345678);
    job.remove("gitlabUrl");
    JsonObject msg = envelope("job_response", new JsonObject().put("jobs", new JsonArray().add(job)));

    // WHEN it is validated
    ProtocolException e = catchThrowableOfType(ProtocolException.class, () -> MessageValidator.validateOutbound(msg));

    // THEN the fault is described by kind, not by value
    assertThat(e.getMessage()).contains("data.jobs[0].accessToken: must be a string, got a number")
        .contains("data.jobs[0].gitlabUrl: required string").doesNotContain("12345678");
  }
}
