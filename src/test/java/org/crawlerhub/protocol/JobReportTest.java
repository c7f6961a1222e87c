package org.crawlerhub.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("JobReport and JobCommand: what the router reads once for the aggregator and the jobs service")
class JobReportTest {

  private static JsonObject decode(String line) {
    return ProtocolCodec.decode(Buffer.buffer(line), 1 << 20);
  }

  @Test
  @DisplayName("a job_progress report carries every field the aggregator uses, counts flattened in order")
  void progressFields() {
    // GIVEN a decoded job_progress with counts (one of them not a number) and a resume state
    JsonObject env = decode("{\"type\":\"job_progress\",\"timestamp\":\"2025-07-30T10:15:01.180Z\",\"job_id\":\"j1\","
        + "\"data\":{\"stage\":\"fetching\",\"entityType\":\"issue\",\"processed\":40,\"total\":100,"
        + "\"message\":\"page 4\",\"processingRate\":12.5,\"resumeState\":{\"currentPage\":4},"
        + "\"itemCounts\":{\"issues\":40,\"notes\":120,\"label\":\"x\"}}}");

    // WHEN it is read
    JobReport r = JobReport.fromEnvelope(env);

    // THEN every field is there, the alias resolved, the timestamp in epoch ms
    assertThat(r.type).isEqualTo(MessageType.JOB_PROGRESS);
    assertThat(r.jobId).isEqualTo("j1");
    assertThat(r.timestampMillis).isEqualTo(java.time.Instant.parse("2025-07-30T10:15:01.180Z").toEpochMilli());
    assertThat(r.processed).isEqualTo(40);
    assertThat(r.total).isEqualTo(100);
    assertThat(r.stage).isEqualTo("fetching");
    assertThat(r.entityType).isEqualTo("issue");
    assertThat(r.message).isEqualTo("page 4");
    assertThat(r.processingRate).isEqualTo(12.5);
    assertThat(r.resumeState).isEqualTo(new JsonObject().put("currentPage", 4));
    assertThat(r.countNames).containsExactly("issues", "notes");
    assertThat(r.countValues).containsExactly(40, 120);
  }

  @Test
  @DisplayName("absent optional fields are marked absent, not zero; other types keep only their data")
  void absentAndOtherTypes() {
    // GIVEN a job_progress with only processed, and a job_completed
    JobReport p = JobReport.fromEnvelope(decode("{\"type\":\"job_progress\",\"jobId\":\"j2\",\"data\":{\"processed\":3}}"));
    JobReport c = JobReport.fromEnvelope(decode(
        "{\"type\":\"job_completed\",\"jobId\":\"j2\",\"data\":{\"success\":true,\"finalCounts\":{\"issues\":3}}}"));

    // THEN absent fields say so
    assertThat(p.total).isEqualTo(JobReport.ABSENT);
    assertThat(p.stage).isNull();
    assertThat(Double.isNaN(p.processingRate)).isTrue();
    assertThat(p.timestampMillis).isEqualTo(IsoInstants.UNKNOWN);
    assertThat(p.countNames).isEmpty();
    // AND a job_completed keeps its data for the aggregator, with no progress fields
    assertThat(c.type).isEqualTo(MessageType.JOB_COMPLETED);
    assertThat(c.data.getJsonObject("finalCounts").getLong("issues")).isEqualTo(3);
    assertThat(c.processed).isEqualTo(JobReport.ABSENT);
  }

  @Test
  @DisplayName("only the four job message types with a jobId are reported")
  void onlyJobMessages() {
    assertThat(JobReport.fromEnvelope(decode("{\"type\":\"heartbeat\",\"data\":{}}"))).isNull();
    assertThat(JobReport.fromEnvelope(decode("{\"type\":\"job_request\",\"data\":{}}"))).isNull();
    assertThat(JobReport.fromEnvelope(new JsonObject().put("type", "job_progress").put("data", new JsonObject())))
        .isNull();
    assertThatThrownBy(() -> JobReport.of(MessageType.HEARTBEAT, "j", 0, null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("a batch survives the cluster wire (JSON) with the same reports, in order")
  void wireRoundTrip() {
    // GIVEN a batch of a progress and a failure
    JobReport p = JobReport.fromEnvelope(decode("{\"type\":\"job_progress\",\"timestamp\":\"2025-07-30T10:15:01Z\","
        + "\"jobId\":\"j3\",\"data\":{\"processed\":7,\"itemCounts\":{\"notes\":9}}}"));
    JobReport f = JobReport.fromEnvelope(decode("{\"type\":\"job_failed\",\"jobId\":\"j3\",\"data\":{\"error\":\"boom\"}}"));
    JobReportBatch batch = new JobReportBatch("node-a", "conn-1", "crawler-1", List.of(p, f));

    // WHEN it is encoded and decoded
    JobReportBatch back = JobReportBatch.fromJson(new JsonObject(batch.toJson().encode()));

    // THEN the connection and every report come back
    assertThat(back.nodeId()).isEqualTo("node-a");
    assertThat(back.connectionId()).isEqualTo("conn-1");
    assertThat(back.crawlerId()).isEqualTo("crawler-1");
    assertThat(back.reports()).hasSize(2);
    JobReport p2 = back.reports().get(0);
    assertThat(p2.type).isEqualTo(MessageType.JOB_PROGRESS);
    assertThat(p2.timestampMillis).isEqualTo(p.timestampMillis);
    assertThat(p2.processed).isEqualTo(7);
    assertThat(p2.countNames).containsExactly("notes");
    assertThat(back.reports().get(1).data.getString("error")).isEqualTo("boom");
  }

  @Test
  @DisplayName("a jobs command carries type, jobId, data and resume state read from the envelope")
  void jobCommand() {
    JobCommand c = JobCommand.fromEnvelope(decode(
        "{\"type\":\"job_progress\",\"job_id\":\"j4\",\"data\":{\"processed\":1,\"resumeState\":{\"cursor\":\"abc\"}}}"));
    assertThat(c.type()).isEqualTo(MessageType.JOB_PROGRESS);
    assertThat(c.jobId()).isEqualTo("j4");
    assertThat(c.data().getInteger("processed")).isEqualTo(1);
    assertThat(c.resumeState().getString("cursor")).isEqualTo("abc");
    JobCommand unknown = JobCommand.fromEnvelope(new JsonObject().put("type", "weather"));
    assertThat(unknown.type()).isNull();
    assertThat(unknown.data()).isNull();
  }
}
