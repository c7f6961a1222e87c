package org.crawlerhub.bus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.crawlerhub.protocol.JobCommandBatch;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Event-bus codecs of the hot path")
class BusCodecsTest {

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
