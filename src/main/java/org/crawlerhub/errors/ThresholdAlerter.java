package org.crawlerhub.errors;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import org.crawlerhub.config.HubConfig;
import org.crawlerhub.protocol.ErrorCategory;

/**
 * Decides when a category's error count in the sliding window has reached its threshold
 * ({@code alerts.thresholds[category]}, else {@code alerts.defaultThreshold}; 0 disables) and
 * raises at most one {@code threshold_exceeded} alert per category per cool-down.
 */
final class ThresholdAlerter {
  private final HubConfig.Alerts cfg;
  private final Map<ErrorCategory, Long> lastAlertAt = new EnumMap<>(ErrorCategory.class);

  ThresholdAlerter(HubConfig.Alerts cfg) {
    this.cfg = cfg;
  }

  int threshold(ErrorCategory c) {
    Integer t = cfg.thresholds().get(c.wire());
    return t != null ? t : cfg.defaultThreshold();
  }

  /** The alert to raise after a record of {@code c} brought the window count to {@code count}, or null. */
  JsonObject check(ErrorCategory c, long count, long nowMs, String nodeId, ErrorRecord latest) {
    int threshold = threshold(c);
    if (threshold <= 0 || count < threshold) {
      return null;
    }
    Long last = lastAlertAt.get(c);
    if (last != null && nowMs - last < cfg.cooldown()) {
      return null;
    }
    lastAlertAt.put(c, nowMs);
    return new JsonObject().put("type", "threshold_exceeded").put("category", c.wire())
        .put("count", count).put("threshold", threshold).put("windowMs", cfg.window())
        .put("cooldownMs", cfg.cooldown()).put("nodeId", nodeId)
        .put("at", Instant.ofEpochMilli(nowMs).toString())
        .put("message", count + " " + c.wire() + " errors in the last " + cfg.window() / 1000 + " s (threshold "
            + threshold + ")")
        .put("latest", latest.toJson());
  }
}
