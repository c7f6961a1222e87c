package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.crawlerhub.protocol.MessageType;

/** {@code job_response}: the answer to every {@code job_request}, possibly with no jobs. */
public record JobResponse(List<SimpleJob> jobs) implements WireMessage {
  public JobResponse {
    jobs = jobs == null ? List.of() : List.copyOf(jobs);
  }

  public static JobResponse from(JsonObject envelopeOrData) {
    List<Object> raw = Fields.list(Fields.data(envelopeOrData), "jobs");
    List<SimpleJob> jobs = new ArrayList<>(raw == null ? 0 : raw.size());
    if (raw != null) {
      for (Object o : raw) {
        Map<String, Object> m = Fields.asMap(o);
        if (m != null) {
          jobs.add(SimpleJob.fromMap(m));
        }
      }
    }
    return new JobResponse(jobs);
  }

  @Override
  public MessageType type() {
    return MessageType.JOB_RESPONSE;
  }

  @Override
  public JsonObject toJson() {
    JsonArray list = new JsonArray();
    jobs.forEach(j -> list.add(j.toJson()));
    return Fields.envelope(type(), null, new JsonObject().put("jobs", list));
  }
}
