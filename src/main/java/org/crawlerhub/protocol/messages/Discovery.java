package org.crawlerhub.protocol.messages;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.crawlerhub.protocol.MessageType;

/** {@code discovery}: entities to upsert as areas; {@code jobId} is optional. */
public record Discovery(String jobId, String entityType, List<DiscoveredEntity> entities, JsonObject extras)
    implements WireMessage {
  private static final Set<String> KNOWN = Set.of("entityType", "entities");

  public Discovery {
    entities = entities == null ? List.of() : List.copyOf(entities);
    extras = Fields.copyOrEmpty(extras);
  }

  @Override
  public JsonObject extras() {
    return extras.copy();
  }

  public static Discovery from(JsonObject envelopeOrData) {
    Map<String, Object> d = Fields.data(envelopeOrData);
    List<Object> raw = Fields.list(d, "entities");
    List<DiscoveredEntity> entities = new ArrayList<>(raw == null ? 0 : raw.size());
    if (raw != null) {
      for (Object o : raw) {
        Map<String, Object> m = Fields.asMap(o);
        if (m != null) {
          entities.add(DiscoveredEntity.fromMap(m));
        }
      }
    }
    return new Discovery(Fields.jobId(envelopeOrData), Fields.string(d, "entityType"), entities,
        Fields.extras(d, KNOWN));
  }

  @Override
  public MessageType type() {
    return MessageType.DISCOVERY;
  }

  @Override
  public JsonObject toJson() {
    JsonArray list = new JsonArray();
    entities.forEach(e -> list.add(e.toJson()));
    return Fields.envelope(type(), jobId, Fields.dataWith(extras).put("entityType", entityType).put("entities", list));
  }
}
