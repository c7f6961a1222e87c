package org.crawlerhub.protocol;

import java.util.HashMap;
import java.util.Map;

/** Entity types of SPEC §1.3 ({@code areas} = group + project discovery), by wire name. */
public enum EntityType {
  PROJECT("project"), GROUP("group"), USER("user"), ISSUE("issue"), MERGE_REQUEST("merge_request"),
  COMMIT("commit"), BRANCH("branch"), PIPELINE("pipeline"), RELEASE("release"),
  GROUP_MILESTONES("groupMilestones"), EPICS("epics"), JOBS("jobs"),
  MERGE_REQUEST_NOTES("mergeRequestNotes"), AREAS("areas");

  private static final Map<String, EntityType> BY_WIRE = new HashMap<>();

  static {
    for (EntityType t : values()) {
      BY_WIRE.put(t.wire, t);
    }
  }

  private final String wire;

  EntityType(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  /** The type for a wire name (case-sensitive, as on the wire), or null when unknown. */
  public static EntityType fromWire(String wire) {
    return wire == null ? null : BY_WIRE.get(wire);
  }

  /** Every wire name, in declaration order. */
  public static String[] wireNames() {
    EntityType[] all = values();
    String[] names = new String[all.length];
    for (int i = 0; i < all.length; i++) {
      names[i] = all[i].wire;
    }
    return names;
  }
}
