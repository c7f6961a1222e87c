package org.crawlerhub.bus;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import org.crawlerhub.protocol.JobReportBatch;

/**
 * Event-bus codec of {@link JobReportBatch}: handed to local consumers as is (it is immutable by
 * convention), encoded as length-prefixed JSON for other cluster nodes. Every node registers it
 * as the default codec of the class at start.
 */
public final class JobReportCodec extends IdentityCodec<JobReportBatch> {
  public static final String NAME = "hub.job-reports";

  public JobReportCodec() {
    super(NAME);
  }

  /** Registers the codec once per event bus, as the default codec of {@link JobReportBatch}. */
  public static void register(EventBus bus) {
    registerOnce(() -> bus.registerDefaultCodec(JobReportBatch.class, new JobReportCodec()));
  }

  @Override
  public void encodeToWire(Buffer buffer, JobReportBatch batch) {
    writeJson(buffer, batch.toJson());
  }

  @Override
  public JobReportBatch decodeFromWire(int pos, Buffer buffer) {
    return JobReportBatch.fromJson(readJson(pos, buffer));
  }
}
