package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.crawlerhub.protocol.MessageType;

/** {@code jobs_discovered}: child jobs found by the discovery job {@code jobId} (SPEC §2.3). */
public record JobsDiscovered(String jobId, List<DiscoveredJob> discoveredJobs, DiscoverySummary summary,
    JsonObject extras) implements WireMessage {
  private static final Set<String> KNOWN = Set.of("discovered_jobs", "discovery_summary");

  public JobsDiscovered {
    discoveredJobs = discoveredJobs == null ? List.of() : List.copyOf(discoveredJobs);
    extras = Fields.copyOrEmpty(extras);
  }

  @Override
  public JsonObject extras() {
    return extras.copy();
  }

  public static JobsDiscovered from(JsonObject envelopeOrData) {
    Map<String, Object> d = Fields.data(envelopeOrData);
    List<Object> raw = Fields.list(d, "discovered_jobs");
    List<DiscoveredJob> jobs = new ArrayList<>(raw == null ? 0 : raw.size());
    if (raw != null) {
      for (Object o : raw) {
        Map<String, Object> m = Fields.asMap(o);
        if (m != null) {
          jobs.add(DiscoveredJob.fromMap(m));
        }
      }
    }
    return new JobsDiscovered(Fields.jobId(envelopeOrData), jobs,
        DiscoverySummary.fromMap(Fields.map(d, "discovery_summary")), Fields.extras(d, KNOWN));
  }

  @Override
  public MessageType type() {
    return MessageType.JOBS_DISCOVERED;
  }

  @Override
  public JsonObject toJson() {
    JsonArray jobs = new JsonArray();
    discoveredJobs.forEach(j -> jobs.add(j.toJson()));
    JsonObject d = Fields.dataWith(extras).put("discovered_jobs", jobs)
        .put("discovery_summary", summary == null ? new JsonObject() : summary.toJson());
    return Fields.envelope(type(), jobId, d);
  }
}
