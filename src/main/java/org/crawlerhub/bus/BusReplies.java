package org.crawlerhub.bus;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/** Reply bodies shared on the hot crawler-message path (node-local, handed over without copies). */
public final class BusReplies {
  private BusReplies() {}

  /**
   * {@code {"frames":[]}}: accepted, nothing to write back — the answer to almost every
   * job_progress. One shared, unmodifiable instance: the jobs service and the router reply with it
   * and the router and the gateway recognise it by identity, so nobody reads a reply built on
   * another core to learn that there is nothing in it. Any other body with equal content means the
   * same.
   */
  public static final JsonObject NO_FRAMES = new JsonObject(Map.of("frames", List.of()));
}
