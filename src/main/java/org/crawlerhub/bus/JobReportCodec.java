package org.crawlerhub.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;
import org.crawlerhub.protocol.JobReportBatch;

/**
 * Event-bus codec of {@link JobReportBatch}: handed to local consumers as is (it is immutable by
 * convention), encoded as length-prefixed JSON for other cluster nodes. Every node registers it
 * as the default codec of the class at start.
 */
public final class JobReportCodec implements MessageCodec<JobReportBatch, JobReportBatch> {
  public static final String NAME = "hub.job-reports";

  /** Registers the codec once per event bus; verticles starting concurrently may race, the loser is fine. */
  public static void register(EventBus bus) {
    try {
      bus.registerDefaultCodec(JobReportBatch.class, new JobReportCodec());
    } catch (IllegalStateException alreadyRegistered) {
      // another verticle of this Vert.x registered it first
    }
  }

  @Override
  public void encodeToWire(Buffer buffer, JobReportBatch batch) {
    Buffer encoded = batch.toJson().toBuffer();
    buffer.appendInt(encoded.length());
    buffer.appendBuffer(encoded);
  }

  @Override
  public JobReportBatch decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    pos += 4;
    return JobReportBatch.fromJson(new JsonObject(buffer.slice(pos, pos + length)));
  }

  @Override
  public JobReportBatch transform(JobReportBatch batch) {
    return batch;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
