package org.crawlerhub.progress;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.bus.LocalOnlyCodec;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.protocol.JobReport;
import org.crawlerhub.protocol.JobReportBatch;

/** Test-side stand-in for the router, jobs and gateway: publishes their messages as they would. */
final class ProgressBus {
  private final Vertx vertx;

  ProgressBus(Vertx vertx) {
    this.vertx = vertx;
  }

  /** Waits for a future from a test thread; failures are rethrown as they are. */
  static <T> T sync(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new IllegalStateException(e);
    }
  }

  static HubConfig config(String nodeId, String dbUrl, long publishIntervalMs) {
    JsonObject j = new JsonObject().put("nodeId", nodeId).put("progressPublishInterval", publishIntervalMs);
    if (dbUrl != null) {
      j.put("database", new JsonObject().put("url", dbUrl));
    }
    return HubConfig.fromJson(j);
  }

  void crawlerMessage(String type, String crawlerId, String jobId, Instant ts, JsonObject data) {
    JsonObject env = new JsonObject().put("type", type).put("timestamp", ts.toString()).put("data", data);
    if (jobId != null) {
      env.put("jobId", jobId);
    }
    DeliveryOptions headers = new DeliveryOptions()
        .addHeader(Addresses.Headers.CONNECTION_ID, "conn-" + crawlerId)
        .addHeader(Addresses.Headers.CRAWLER_ID, crawlerId)
        .addHeader(Addresses.Headers.NODE_ID, "node-a")
        .addHeader(Addresses.Headers.TRANSPORT, "unix");
    if ("heartbeat".equals(type)) {
      // as a router partition publishes them: the latest heartbeat per connection, batched
      vertx.eventBus().publish(Addresses.CRAWLER_HEARTBEATS, new JsonObject().put("heartbeats",
          new io.vertx.core.json.JsonArray().add(new JsonObject().put("connectionId", "conn-" + crawlerId)
              .put("crawlerId", crawlerId).put("nodeId", "node-a").put("envelope", env))));
      return;
    }
    JobReport report = JobReport.fromEnvelope(env);
    if (report == null) {
      vertx.eventBus().publish(Addresses.message(type), env, headers);
      return;
    }
    // the router reads accepted job messages once and publishes them as a batch of reports
    LocalOnlyCodec.register(vertx.eventBus(), JobReportBatch.class);
    vertx.eventBus().publish(Addresses.JOB_REPORTS_LOCAL,
        new JobReportBatch("node-a", "conn-" + crawlerId, crawlerId, List.of(report)));
  }

  void progress(String crawlerId, String jobId, Instant ts, long processed, Long total) {
    JsonObject d = new JsonObject().put("stage", "fetching").put("entityType", "issue").put("processed", processed);
    if (total != null) {
      d.put("total", total);
    }
    crawlerMessage("job_progress", crawlerId, jobId, ts, d);
  }

  void jobEvent(String jobId, String from, String to, int attempt, String crawlerId, JsonObject details) {
    JsonObject ev = new JsonObject().put("jobId", jobId).put("from", from).put("to", to).put("attempt", attempt)
        .put("maxAttempts", 4).put("crawlerId", crawlerId).put("at", Instant.now().toString())
        .put("reason", "test");
    if (details != null) {
      ev.put("details", details);
    }
    vertx.eventBus().publish(Addresses.JOB_EVENTS, ev);
  }

  /** Moves a new job through queued -> assigned -> running for a crawler. */
  void startJob(String jobId, String crawlerId, int attempt) {
    if (attempt == 1) {
      jobEvent(jobId, null, "queued", 1, null, null);
    }
    jobEvent(jobId, "queued", "assigned", attempt, crawlerId, null);
    jobEvent(jobId, "assigned", "running", attempt, crawlerId, null);
  }

  void crawlerEvent(String event, String crawlerId) {
    vertx.eventBus().publish(Addresses.CRAWLER_EVENTS, new JsonObject().put("event", event)
        .put("connectionId", "conn-" + crawlerId).put("crawlerId", crawlerId).put("nodeId", "node-a")
        .put("transport", "unix").put("at", Instant.now().toString()));
  }

  JsonObject get(JsonObject query) {
    Message<JsonObject> m = sync(vertx.eventBus().<JsonObject>request(Addresses.PROGRESS_GET, query));
    return m.body();
  }

  JsonObject job(String jobId) {
    return get(new JsonObject().put("jobId", jobId));
  }

  JsonObject aggregate() {
    return get(new JsonObject());
  }

  List<JsonObject> collect(String address) {
    List<JsonObject> out = new CopyOnWriteArrayList<>();
    sync(vertx.eventBus().<JsonObject>consumer(address, m -> out.add(m.body())).completion());
    return out;
  }
}
