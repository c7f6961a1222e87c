package org.crawlerhub.protocol;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@link JobReport}s of one connection's messages routed together (one socket read), with the
 * connection they came from. Published by the router on {@code hub.crawler.job-reports} after the
 * messages were accepted, in the order they were received. Immutable by convention.
 */
public record JobReportBatch(String nodeId, String connectionId, String crawlerId, List<JobReport> reports) {

  public JobReportBatch {
    reports = List.copyOf(reports);
  }

  /** JSON for the cluster wire. */
  public JsonObject toJson() {
    JsonArray r = new JsonArray(new ArrayList<>(reports.size()));
    for (JobReport report : reports) {
      r.add(report.toJson());
    }
    JsonObject j = new JsonObject().put("reports", r);
    putIf(j, "nodeId", nodeId);
    putIf(j, "connectionId", connectionId);
    putIf(j, "crawlerId", crawlerId);
    return j;
  }

  /** The inverse of {@link #toJson()}; entries that are not reports are skipped. */
  public static JobReportBatch fromJson(JsonObject j) {
    List<JobReport> reports = new ArrayList<>();
    if (j.getValue("reports") instanceof JsonArray a) {
      for (Object o : a) {
        JobReport r = o instanceof JsonObject jo ? JobReport.fromJson(jo) : null;
        if (r != null) {
          reports.add(r);
        }
      }
    }
    return new JobReportBatch(j.getString("nodeId"), j.getString("connectionId"), j.getString("crawlerId"), reports);
  }

  private static void putIf(JsonObject j, String key, String value) {
    if (value != null) {
      j.put(key, value);
    }
  }
}
