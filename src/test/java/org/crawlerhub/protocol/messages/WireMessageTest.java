package org.crawlerhub.protocol.messages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.crawlerhub.protocol.ErrorCode;
import org.crawlerhub.protocol.Frames;
import org.crawlerhub.protocol.MessageType;
import org.crawlerhub.protocol.MessageValidator;
import org.crawlerhub.protocol.ProtocolCodec;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Typed records over wire messages: reading, round trips, kept extras and masked secrets. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class WireMessageTest {
  private static final String TS = "2025-07-30T10:15:01.180Z";

  static Stream<String> validLines() throws IOException {
    try (InputStream in = WireMessageTest.class.getClassLoader()
        .getResourceAsStream("protocol/valid-inbound.ndjson")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
          .filter(l -> !l.isBlank() && !l.startsWith("#")).toList().stream();
    }
  }

  private static JsonObject decode(String line) {
    JsonObject msg = ProtocolCodec.decode(Buffer.buffer(line), 1 << 20);
    MessageValidator.validateInbound(msg);
    return msg;
  }

  @ParameterizedTest
  @MethodSource("validLines")
  @DisplayName("Every valid inbound line becomes a record whose JSON is valid and reads back to an equal record.")
  void inboundRecordsRoundTrip(String line) {
    // GIVEN a decoded, validated inbound message
    JsonObject msg = decode(line);

    // WHEN it is read as a record and written back
    WireMessage record = WireMessage.from(msg);
    JsonObject again = record.toJson();

    // THEN the type is kept, the JSON validates, and reading it again gives an equal record
    assertThat(record.type().wire()).isEqualTo(msg.getString("type"));
    assertThatCode(() -> MessageValidator.validateInbound(again)).doesNotThrowAnyException();
    assertThat(WireMessage.from(again)).isEqualTo(record);
    assertThat(again.getString("jobId")).isEqualTo(msg.getString("jobId"));
  }

  @Test
  @DisplayName("A job_progress record exposes every documented field with its type.")
  void jobProgressIsTyped() {
    // GIVEN a full job_progress
    JsonObject msg = decode("{\"type\":\"job_progress\",\"timestamp\":\"" + TS + "\",\"job_id\":\"job-42\","
        + "\"data\":{\"stage\":\"fetching\",\"entityType\":\"issue\",\"processed\":250,\"total\":1000,"
        + "\"message\":\"page 3\",\"resumeState\":{\"lastEntityId\":\"12345\",\"currentPage\":3,"
        + "\"entityType\":\"issue\",\"cursor\":\"abc\"},\"itemCounts\":{\"issues\":250},\"processingRate\":41.7,"
        + "\"estimatedTimeRemaining\":18000,\"host\":\"w-1\"}}");

    // WHEN it is read as a record
    JobProgress p = JobProgress.from(msg);

    // THEN every field is typed, and unknown members are kept in extras (also inside resumeState)
    assertThat(p.jobId()).isEqualTo("job-42");
    assertThat(p.stage()).isEqualTo("fetching");
    assertThat(p.entityType()).isEqualTo("issue");
    assertThat(p.processed()).isEqualTo(250.0);
    assertThat(p.total()).isEqualTo(1000.0);
    assertThat(p.message()).isEqualTo("page 3");
    assertThat(p.resumeState().lastEntityId()).isEqualTo("12345");
    assertThat(p.resumeState().currentPage()).isEqualTo(3L);
    assertThat(p.resumeState().extras().getString("cursor")).isEqualTo("abc");
    assertThat(p.itemCounts()).containsEntry("issues", 250L);
    assertThat(p.processingRate()).isEqualTo(41.7);
    assertThat(p.estimatedTimeRemaining()).isEqualTo(18000.0);
    assertThat(p.extras().getString("host")).isEqualTo("w-1");
    assertThat(p.toJson().getJsonObject("data").getJsonObject("resumeState").getString("cursor")).isEqualTo("abc");
  }

  @Test
  @DisplayName("Records read from data alone work the same as from the envelope, without a jobId.")
  void recordsReadFromDataAlone() {
    // GIVEN the data object of a heartbeat
    JsonObject data = new JsonObject().put("activeJobs", 2).put("totalProcessed", 10).put("systemStatus", "idle")
        .put("memoryUsage", new JsonObject().put("rss", 1));

    // WHEN it is read as a record
    Heartbeat h = Heartbeat.from(data);

    // THEN the fields are read
    assertThat(h.activeJobs()).isEqualTo(2);
    assertThat(h.totalProcessed()).isEqualTo(10);
    assertThat(h.systemStatus()).isEqualTo("idle");
    assertThat(h.memoryUsage()).isEqualTo(new JsonObject().put("rss", 1));
    assertThat(JobStarted.from(new JsonObject().put("entityType", "project")).jobId()).isNull();
  }

  @Test
  @DisplayName("Discovered jobs and entities read numeric GitLab ids as digits and default priority to 1.")
  void discoveryIdsAndDefaults() {
    // GIVEN a jobs_discovered and a discovery with numeric ids
    JobsDiscovered jd = JobsDiscovered.from(decode("{\"type\":\"jobs_discovered\",\"timestamp\":\"" + TS
        + "\",\"jobId\":\"d-1\",\"data\":{\"discovered_jobs\":[{\"job_type\":\"crawl_group\",\"entity_id\":9970,"
        + "\"namespace_path\":\"gitlab-org\",\"entity_name\":\"GitLab.org\",\"estimated_size\":{\"projects\":312}}],"
        + "\"discovery_summary\":{\"total_groups\":1}}}"));
    Discovery d = Discovery.from(decode("{\"type\":\"discovery\",\"timestamp\":\"" + TS + "\",\"data\":{"
        + "\"entityType\":\"areas\",\"entities\":[{\"id\":278964,\"name\":\"GitLab\",\"path\":\"gitlab-org/gitlab\","
        + "\"parentId\":9970}]}}"));

    // WHEN their items are read
    DiscoveredJob job = jd.discoveredJobs().get(0);
    DiscoveredEntity entity = d.entities().get(0);

    // THEN ids are text, priority defaults and the summary is typed
    assertThat(job.entityId()).isEqualTo("9970");
    assertThat(job.priority()).isEqualTo(1);
    assertThat(job.estimatedSize()).containsEntry("projects", 312L);
    assertThat(jd.summary().totalGroups()).isEqualTo(1L);
    assertThat(jd.summary().totalUsers()).isNull();
    assertThat(entity.id()).isEqualTo("278964");
    assertThat(entity.parentId()).isEqualTo("9970");
    assertThat(d.jobId()).isNull();
  }

  @Test
  @DisplayName("A job_request caps maxJobs at the hub's limit and uses the limit when maxJobs is absent.")
  void jobRequestEffectiveMaxJobs() {
    // GIVEN requests with and without maxJobs
    JobRequest none = JobRequest.from(new JsonObject());
    JobRequest two = JobRequest.from(new JsonObject().put("maxJobs", 2));
    JobRequest many = JobRequest.from(new JsonObject().put("maxJobs", 50));
    JobRequest zero = JobRequest.from(new JsonObject().put("maxJobs", 0));

    // WHEN the effective count is asked with a cap of 5
    // THEN min(maxJobs, cap), the cap when absent, and 0 stays 0
    assertThat(none.effectiveMaxJobs(5)).isEqualTo(5);
    assertThat(two.effectiveMaxJobs(5)).isEqualTo(2);
    assertThat(many.effectiveMaxJobs(5)).isEqualTo(5);
    assertThat(zero.effectiveMaxJobs(5)).isZero();
  }

  @Test
  @DisplayName("Records never show tokens in toString.")
  void tokensAreMasked() {
    // GIVEN records that carry secrets
    Hello hello = Hello.from(new JsonObject().put("crawlerId", "c-1").put("token", "s3cr3t"));
    SimpleJob job = new SimpleJob("j-1", "project", "a/b", "https://gitlab", "glpat-s3cr3t", null);
    TokenRefreshResponse trr = new TokenRefreshResponse("j-1", "glpat-new-s3cr3t", true, null, null);
    JobAssignment ja = JobAssignment.from(new JsonObject().put("job_id", "j").put("job_type", "crawl_project")
        .put("gitlab_host", "h").put("access_token", "glpat-as3cr3t"));

    // WHEN they are printed
    // THEN the token is masked but still available to code
    for (Object r : List.of(hello, job, trr, ja)) {
      assertThat(r.toString()).doesNotContain("s3cr3t").contains("***");
    }
    assertThat(hello.token()).isEqualTo("s3cr3t");
    assertThat(job.toJson().getString("accessToken")).isEqualTo("glpat-s3cr3t");
  }

  @Test
  @DisplayName("Outbound records produce frames that pass prepareOutbound and read back equal.")
  void outboundRecordsAreValidFrames() {
    // GIVEN one record of each hub->crawler type
    List<WireMessage> records = List.of(
        new JobResponse(List.of(new SimpleJob("j-1", "project", "9970", "https://gitlab.example.com", "t",
            new ResumeState("77", 3L, "issue", new JsonObject().put("cursor", "c"))))),
        new JobResponse(List.of()),
        new TokenRefreshResponse("j-1", null, false, null, "no provider"),
        JobAssignment.from(new JsonObject().put("job_id", "j-2").put("job_type", "crawl_project")
            .put("entity_id", 278964).put("gitlab_host", "gitlab.example.com").put("access_token", "t")),
        Shutdown.from(new JsonObject()),
        new ErrorMessage("j-1", ErrorCode.STALE_LEASE, "lease lost", "job_completed"),
        new Welcome("c-1", "node-1", 1, 30000, 90000, 1048576, 5));

    for (WireMessage r : records) {
      // WHEN written and prepared for the wire
      JsonObject frame = MessageValidator.prepareOutbound(r.toJson());

      // THEN it is valid and reads back to an equal record
      assertThat(WireMessage.from(frame)).as("%s", r.type()).isEqualTo(r);
    }
    JobAssignment ja = (JobAssignment) records.get(3);
    assertThat(ja.priority()).isEqualTo(1);
    assertThat(ja.resume()).isFalse();
    assertThat(ja.entityId()).isEqualTo("278964");
    Shutdown s = (Shutdown) records.get(4);
    assertThat(s.graceful()).isTrue();
    assertThat(s.timeoutSeconds()).isEqualTo(30);
  }

  @Test
  @DisplayName("Records of frames made by Frames read the same values.")
  void recordsReadFrames() {
    // GIVEN frames from the factory
    JsonObject welcome = Frames.welcome("c-1", "n-1", 30000, 90000, 1048576, 5);
    JsonObject error = Frames.error(ErrorCode.UNKNOWN_JOB, "jobId: no such job", "job_started", "j-9");

    // WHEN read as records
    Welcome w = (Welcome) WireMessage.from(welcome);
    ErrorMessage e = (ErrorMessage) WireMessage.from(error);

    // THEN the values match
    assertThat(w.heartbeatTimeout()).isEqualTo(90000);
    assertThat(w.protocolVersion()).isEqualTo(1);
    assertThat(e.code()).isEqualTo(ErrorCode.UNKNOWN_JOB);
    assertThat(e.jobId()).isEqualTo("j-9");
    assertThat(e.refType()).isEqualTo("job_started");
  }

  @Test
  @DisplayName("Records are immutable: changing the source or a returned value does not change them.")
  void recordsAreImmutable() {
    // GIVEN a job_completed record read from a mutable object
    JsonObject data = new JsonObject().put("success", true).put("finalCounts", new JsonObject().put("issues", 3))
        .put("outputFiles", new JsonArray().add("a.jsonl")).put("extra", new JsonObject().put("k", 1));
    JobCompleted c = JobCompleted.from(data);

    // WHEN the source and the returned extras are modified
    data.getJsonObject("extra").put("k", 2);
    data.getJsonArray("outputFiles").add("b.jsonl");
    c.extras().put("k2", 3);

    // THEN the record is unchanged
    assertThat(c.extras().getJsonObject("extra").getInteger("k")).isEqualTo(1);
    assertThat(c.extras().containsKey("k2")).isFalse();
    assertThat(c.outputFiles()).containsExactly("a.jsonl");
    assertThat(c.finalCounts()).isEqualTo(Map.of("issues", 3L));
    assertThat(c.type()).isEqualTo(MessageType.JOB_COMPLETED);
  }
}
