package org.crawlerhub.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Inbound decoding and validation rules of SPEC §1.1–1.5 beyond the corpus tables. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class InboundValidationTest {
  private static final int MAX = 1024 * 1024;
  private static final String TS = "2025-07-30T10:15:01.180Z";

  private static ProtocolException rejection(JsonObject msg) {
    return catchThrowableOfType(ProtocolException.class, () -> MessageValidator.validateInbound(msg));
  }

  @Test
  @DisplayName("A message with several faults is rejected once, listing every field at fault in order.")
  void everyFaultIsListed() {
    // GIVEN a job_progress with four faults, one of them inside resumeState and one in itemCounts
    JsonObject msg = ProtocolCodec.decode(Buffer.buffer("{\"type\":\"job_progress\",\"timestamp\":\"" + TS
        + "\",\"jobId\":\"job-1\",\"data\":{\"stage\":\"fetch\",\"entityType\":\"issue\","
        + "\"resumeState\":{\"currentPage\":\"3\"},\"itemCounts\":{\"issues\":\"x\"},\"total\":\"10\"}}"), MAX);

    // WHEN it is validated
    ProtocolException e = rejection(msg);

    // THEN one VALIDATION_FAILED names every field, joined by "; ", with type and jobId attached
    assertThat(e.code()).isEqualTo(ErrorCode.VALIDATION_FAILED);
    assertThat(e.getMessage().split("; ")).hasSize(5);
    assertThat(e.getMessage())
        .startsWith("data.stage: must be one of discovering, fetching, completed, failed, got \"fetch\"; ")
        .contains("data.processed: required number")
        .contains("data.total: must be a number, got a string")
        .contains("data.resumeState.currentPage: must be a number, got a string")
        .contains("data.itemCounts.issues: must be a number, got a string");
    assertThat(e.refType()).isEqualTo("job_progress");
    assertThat(e.jobId()).isEqualTo("job-1");
  }

  @Test
  @DisplayName("Faults in several discovered jobs are all reported, each with its index.")
  void faultsInSeveralArrayItemsAreAllReported() {
    // GIVEN a jobs_discovered whose items 0 and 2 are faulty and whose summary is missing
    JsonObject job = new JsonObject().put("job_type", "crawl_project").put("entity_id", 1)
        .put("namespace_path", "a/b").put("entity_name", "B");
    JsonObject msg = new JsonObject().put("type", "jobs_discovered").put("timestamp", TS).put("jobId", "d-1")
        .put("data", new JsonObject().put("discovered_jobs", new JsonArray()
            .add(job.copy().put("job_type", "crawl_repo")).add(job).add(job.copy().put("entity_name", 5))));

    // WHEN it is validated
    ProtocolException e = rejection(msg);

    // THEN item 0, item 2 and the summary are named
    assertThat(e.code()).isEqualTo(ErrorCode.VALIDATION_FAILED);
    assertThat(e.getMessage()).isEqualTo("data.discovered_jobs[0].job_type: must be one of discover_namespaces, "
        + "crawl_user, crawl_group, crawl_project, got \"crawl_repo\"; "
        + "data.discovered_jobs[2].entity_name: must be a string, got a number; "
        + "data.discovery_summary: required object");
  }

  @Test
  @DisplayName("The job_id alias is accepted and normalised to jobId.")
  void jobIdAliasIsNormalised() {
    // GIVEN an old crawler's job_started with job_id
    Buffer line = Buffer.buffer("{\"type\":\"job_started\",\"timestamp\":\"" + TS
        + "\",\"job_id\":\"job-7\",\"data\":{\"entityType\":\"project\",\"entityId\":\"a/b\"}}");

    // WHEN it is decoded and validated
    JsonObject msg = ProtocolCodec.decode(line, MAX);
    MessageValidator.validateInbound(msg);

    // THEN jobId carries the value and the alias is gone
    assertThat(msg.getString("jobId")).isEqualTo("job-7");
    assertThat(msg.containsKey("job_id")).isFalse();
  }

  @Test
  @DisplayName("When both jobId and job_id are present, jobId wins and job_id is kept as an unknown field.")
  void jobIdWinsOverAlias() {
    // GIVEN a message carrying both spellings
    Buffer line = Buffer.buffer("{\"type\":\"job_started\",\"timestamp\":\"" + TS
        + "\",\"jobId\":\"job-new\",\"job_id\":\"job-old\",\"data\":{}}");

    // WHEN it is decoded
    JsonObject msg = ProtocolCodec.decode(line, MAX);

    // THEN the camelCase one is the jobId
    assertThat(msg.getString("jobId")).isEqualTo("job-new");
    assertThat(msg.getString("job_id")).isEqualTo("job-old");
  }

  @Test
  @DisplayName("Unknown fields of the envelope and of data are kept untouched.")
  void unknownFieldsAreKept() {
    // GIVEN a heartbeat with extra fields at both levels
    Buffer line = Buffer.buffer("{\"type\":\"heartbeat\",\"timestamp\":\"" + TS + "\",\"region\":\"eu\","
        + "\"data\":{\"activeJobs\":1,\"totalProcessed\":2,\"systemStatus\":\"idle\",\"gpu\":{\"load\":0.5},"
        + "\"tags\":[\"a\",\"b\"]}}");

    // WHEN it is decoded and validated
    JsonObject msg = ProtocolCodec.decode(line, MAX);
    MessageValidator.validateInbound(msg);

    // THEN the extras are still there
    assertThat(msg.getString("region")).isEqualTo("eu");
    assertThat(msg.getJsonObject("data").getJsonObject("gpu").getDouble("load")).isEqualTo(0.5);
    assertThat(msg.getJsonObject("data").getJsonArray("tags")).containsExactly("a", "b");
  }

  @Test
  @DisplayName("A trailing carriage return is tolerated.")
  void trailingCarriageReturnIsTolerated() {
    // GIVEN a CRLF-terminated line (the \n already removed by the framer)
    Buffer line = Buffer.buffer("{\"type\":\"job_request\",\"timestamp\":\"" + TS + "\",\"data\":{\"maxJobs\":2}}\r");

    // WHEN it is decoded
    JsonObject msg = ProtocolCodec.decode(line, MAX);

    // THEN it is a normal message and passes validation
    assertThat(msg.getJsonObject("data").getInteger("maxJobs")).isEqualTo(2);
    assertThatCode(() -> MessageValidator.validateInbound(msg)).doesNotThrowAnyException();
  }

  @Test
  @DisplayName("Blank lines, including a lone carriage return, are recognised so the gateway ignores them.")
  void blankLinesAreRecognised() {
    // GIVEN empty and whitespace-only lines, and a real one
    // WHEN isBlank is asked
    // THEN only the whitespace lines are blank
    assertThat(ProtocolCodec.isBlank(Buffer.buffer(""))).isTrue();
    assertThat(ProtocolCodec.isBlank(Buffer.buffer("\r"))).isTrue();
    assertThat(ProtocolCodec.isBlank(Buffer.buffer(" \t \r"))).isTrue();
    assertThat(ProtocolCodec.isBlank(Buffer.buffer("{}"))).isFalse();
    assertThat(ProtocolCodec.isBlank(Buffer.buffer(" x"))).isFalse();
  }

  @Test
  @DisplayName("A line exactly at maxMessageSize is accepted and one byte more is MESSAGE_TOO_LARGE.")
  void sizeBoundIsInclusive() {
    // GIVEN a valid line of exactly n bytes
    String head = "{\"type\":\"job_request\",\"timestamp\":\"" + TS + "\",\"data\":{\"pad\":\"";
    String tail = "\"}}";
    String line = head + "x".repeat(200 - head.length() - tail.length()) + tail;

    // WHEN decoded with maxMessageSize n and n - 1
    // THEN the first passes and the second is rejected before parsing, naming the size
    assertThat(ProtocolCodec.decode(Buffer.buffer(line), 200).getString("type")).isEqualTo("job_request");
    ProtocolException e = catchThrowableOfType(ProtocolException.class,
        () -> ProtocolCodec.decode(Buffer.buffer(line), 199));
    assertThat(e.code()).isEqualTo(ErrorCode.MESSAGE_TOO_LARGE);
    assertThat(e.code().closesConnection()).isTrue();
    assertThat(e.getMessage()).contains("200 bytes").contains("199");
  }

  @Test
  @DisplayName("Nulls are removed recursively by decode, including inside arrays of objects.")
  void nullsAreStrippedEverywhere() {
    // GIVEN a discovery whose entities carry null parentIds
    Buffer line = Buffer.buffer("{\"type\":\"discovery\",\"timestamp\":\"" + TS + "\",\"extra\":null,"
        + "\"data\":{\"entityType\":\"group\",\"entities\":[{\"id\":1,\"name\":\"A\",\"path\":\"a\",\"parentId\":null,"
        + "\"meta\":{\"x\":null}}]}}");

    // WHEN it is decoded
    JsonObject msg = ProtocolCodec.decode(line, MAX);

    // THEN no null member survives at any depth
    JsonObject entity = msg.getJsonObject("data").getJsonArray("entities").getJsonObject(0);
    assertThat(msg.containsKey("extra")).isFalse();
    assertThat(entity.containsKey("parentId")).isFalse();
    assertThat(entity.getJsonObject("meta").isEmpty()).isTrue();
    assertThatCode(() -> MessageValidator.validateInbound(msg)).doesNotThrowAnyException();
  }

  @Test
  @DisplayName("An envelope injected on the bus with nulls and the job_id alias validates without normalisation.")
  void busInjectedEnvelopeWithNullsIsTolerated() {
    // GIVEN an envelope built in code: nulls in optional fields, job_id alias, raw Java maps inside
    Map<String, Object> resume = new LinkedHashMap<>();
    resume.put("lastEntityId", null);
    resume.put("currentPage", 4);
    JsonObject msg = new JsonObject().put("type", "job_progress").put("timestamp", TS)
        .put("job_id", "job-9").putNull("jobId")
        .put("data", new JsonObject().put("stage", "fetching").put("entityType", "commit").put("processed", 10)
            .putNull("total").putNull("message").put("resumeState", resume)
            .put("itemCounts", Map.of("commits", 10)));

    // WHEN it is validated directly
    // THEN null counts as absent and job_id as jobId
    assertThatCode(() -> MessageValidator.validateInbound(msg)).doesNotThrowAnyException();

    // AND prepareInbound normalises it for consumers
    MessageValidator.prepareInbound(msg);
    assertThat(msg.getString("jobId")).isEqualTo("job-9");
    assertThat(msg.getJsonObject("data").containsKey("total")).isFalse();
  }

  @Test
  @DisplayName("A required field that is null on the bus is reported as required.")
  void requiredNullOnTheBusIsReported() {
    // GIVEN a heartbeat built in code with a null required field and null data in a second one
    JsonObject heartbeat = new JsonObject().put("type", "heartbeat").put("timestamp", TS)
        .put("data", new JsonObject().putNull("activeJobs").put("totalProcessed", 1).put("systemStatus", "idle"));
    JsonObject noData = new JsonObject().put("type", "job_request").put("timestamp", TS).putNull("data");

    // WHEN they are validated
    // THEN the null fields are named as required
    assertThat(rejection(heartbeat).getMessage()).isEqualTo("data.activeJobs: required number");
    assertThat(rejection(noData).getMessage()).isEqualTo("data: required object");
  }

  @Test
  @DisplayName("Entity ids may be strings or numbers, as GitLab ids are numbers.")
  void entityIdsMayBeNumbers() {
    // GIVEN discovery entities and discovered jobs with numeric ids, large and fractional-free
    JsonObject discovery = new JsonObject().put("type", "discovery").put("timestamp", TS)
        .put("data", new JsonObject().put("entityType", "project").put("entities", new JsonArray()
            .add(new JsonObject().put("id", 278964L).put("name", "GitLab").put("path", "gitlab-org/gitlab")
                .put("parentId", 9970))
            .add(new JsonObject().put("id", "x-1").put("name", "X").put("path", "x").put("parentId", "g"))));

    // WHEN validated
    // THEN it is accepted
    assertThatCode(() -> MessageValidator.validateInbound(discovery)).doesNotThrowAnyException();
  }

  @Test
  @DisplayName("maxJobs accepts integers from zero up, including an integral 3.0.")
  void maxJobsAcceptsNonNegativeIntegers() {
    // GIVEN job_requests with various maxJobs
    for (Object ok : List.of(0, 5, 3.0, 10_000_000_000L)) {
      JsonObject msg = new JsonObject().put("type", "job_request").put("timestamp", TS)
          .put("data", new JsonObject().put("maxJobs", ok));
      // WHEN validated THEN accepted
      assertThatCode(() -> MessageValidator.validateInbound(msg)).as("maxJobs %s", ok).doesNotThrowAnyException();
    }
  }

  @Test
  @DisplayName("The type check of validateInbound matches decode for messages that bypass the codec.")
  void validateInboundChecksTheTypeItself() {
    // GIVEN envelopes that never went through decode
    JsonObject noType = new JsonObject().put("timestamp", TS).put("data", new JsonObject());
    JsonObject outbound = new JsonObject().put("type", "job_response").put("timestamp", TS)
        .put("data", new JsonObject().put("jobs", new JsonArray()));

    // WHEN validated
    // THEN the type stage rejects them with the codec's codes
    assertThat(rejection(noType).code()).isEqualTo(ErrorCode.VALIDATION_FAILED);
    assertThat(rejection(noType).getMessage()).isEqualTo("type: required string");
    assertThat(rejection(outbound).code()).isEqualTo(ErrorCode.UNKNOWN_TYPE);
    assertThat(rejection(outbound).refType()).isEqualTo("job_response");
  }

  @Test
  @DisplayName("A MISSING_JOB_ID rejection still carries the message type for the error frame.")
  void missingJobIdCarriesType() {
    // GIVEN a job_completed without jobId
    JsonObject msg = new JsonObject().put("type", "job_completed").put("timestamp", TS)
        .put("data", new JsonObject().put("success", true).put("finalCounts", new JsonObject()));

    // WHEN validated
    ProtocolException e = rejection(msg);

    // THEN the code is MISSING_JOB_ID and the error frame built from it is valid outbound
    assertThat(e.code()).isEqualTo(ErrorCode.MISSING_JOB_ID);
    assertThat(e.refType()).isEqualTo("job_completed");
    JsonObject frame = Frames.errorFrom(e, null, null);
    assertThat(frame.getJsonObject("data").getString("refType")).isEqualTo("job_completed");
    assertThatCode(() -> MessageValidator.validateOutbound(frame)).doesNotThrowAnyException();
  }

  @Test
  @DisplayName("A discovery of 10,000 entities validates, and when all are wrong the message stays bounded.")
  void largeDiscoveryIsValidatedAndFaultListIsBounded() {
    // GIVEN a valid discovery of 10,000 entities and the same with every entity missing its path
    JsonArray good = new JsonArray();
    JsonArray bad = new JsonArray();
    for (int i = 0; i < 10_000; i++) {
      good.add(new JsonObject().put("id", i).put("name", "p" + i).put("path", "g/p" + i).put("parentId", 1));
      bad.add(new JsonObject().put("id", i).put("name", "p" + i));
    }
    JsonObject ok = new JsonObject().put("type", "discovery").put("timestamp", TS)
        .put("data", new JsonObject().put("entityType", "project").put("entities", good));
    JsonObject wrong = ok.copy().put("data", new JsonObject().put("entityType", "project").put("entities", bad));

    // WHEN both are validated
    ProtocolException e = rejection(wrong);

    // THEN the valid one passes; the faulty one lists the first 100 faults and counts the rest
    assertThatCode(() -> MessageValidator.validateInbound(ok)).doesNotThrowAnyException();
    assertThat(e.code()).isEqualTo(ErrorCode.VALIDATION_FAILED);
    assertThat(e.getMessage()).startsWith("data.entities[0].path: required string; data.entities[1].path:")
        .contains("data.entities[99].path: required string")
        .doesNotContain("data.entities[100].path")
        .endsWith("; … and 9900 more faults");
    assertThat(e.getMessage().length()).isLessThan(5_000);
  }
}
