package org.crawlerhub.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.crawlerhub.protocol.JobCommandBatch;
import org.crawlerhub.protocol.JobReport;
import org.crawlerhub.protocol.JobReportBatch;
import org.crawlerhub.protocol.MessageType;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Event-bus codecs of the hot path")
class BusCodecsTest {

  @Test
  @DisplayName("job reports are handed over as is locally and encoded as JSON for other nodes")
  void jobReports() {
    // GIVEN a batch of one progress report
    JobReport r = JobReport.of(MessageType.JOB_PROGRESS, "j1", 1_000L, new JsonObject().put("processed", 5));
    JobReportBatch batch = new JobReportBatch("node-a", "conn-1", "c1", List.of(r));
    JobReportCodec codec = new JobReportCodec();

    // THEN locally it is the same object, and over the wire an equal batch
    assertThat(codec.transform(batch)).isSameAs(batch);
    Buffer wire = Buffer.buffer().appendString("xx");
    codec.encodeToWire(wire, batch);
    JobReportBatch back = codec.decodeFromWire(2, wire);
    assertThat(back.crawlerId()).isEqualTo("c1");
    assertThat(back.reports().get(0).processed).isEqualTo(5);
    assertThat(back.reports().get(0).timestampMillis).isEqualTo(1_000L);
  }

  @Test
  @DisplayName("a node-local body is handed over as is and refuses to be encoded for another node")
  void localOnly() {
    JobCommandBatch batch = new JobCommandBatch(List.of());
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      LocalOnlyCodec.register(vertx.eventBus(), JobCommandBatch.class);
      LocalOnlyCodec.register(vertx.eventBus(), JobCommandBatch.class); // a second registration is harmless
      Object received = vertx.eventBus().<JobCommandBatch>localConsumer("t", m -> m.reply(m.body() == batch))
          .completion().compose(v -> vertx.eventBus().request("t", batch)).await().body();
      assertThat(received).isEqualTo(true);
    } finally {
      vertx.close().await();
    }
    LocalOnlyCodec<JobCommandBatch> codec = new LocalOnlyCodec<>(JobCommandBatch.class);
    assertThatThrownBy(() -> codec.encodeToWire(Buffer.buffer(), batch)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("node-local");
  }

  @Test
  @DisplayName("the shared empty reply cannot be changed by a careless receiver")
  void noFramesIsUnmodifiable() {
    assertThat(BusReplies.NO_FRAMES.getJsonArray("frames")).isEmpty();
    assertThatThrownBy(() -> BusReplies.NO_FRAMES.put("frames", 1)).isInstanceOf(UnsupportedOperationException.class);
    assertThat(BusReplies.NO_FRAMES.encode()).isEqualTo("{\"frames\":[]}");
  }
}
