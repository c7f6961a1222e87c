package org.crawlerhub.router;

import org.crawlerhub.bus.Addresses;

/** Event-bus addresses owned by the router (local to a node). */
public final class RouterAddresses {
  private RouterAddresses() {}

  /**
   * request/reply, send with {@code localOnly}: this node's view (heartbeats of the crawlers
   * connected here). {@code {}} -> {@code {"crawlers": {<crawlerId>: CrawlerHeartbeat}}};
   * {@code {"crawlerId": id}} -> {@code {"crawler": CrawlerHeartbeat}} or fail(404, "NOT_FOUND: ...").
   * CrawlerHeartbeat = {crawlerId, connectionId, nodeId, transport, systemStatus, activeJobs,
   * totalProcessed, memoryUsage, uptime, lastHeartbeat}.
   */
  public static final String CRAWLERS = Addresses.ROUTER_CRAWLERS;
}
