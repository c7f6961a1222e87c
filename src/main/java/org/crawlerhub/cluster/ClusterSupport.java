package org.crawlerhub.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.config.JoinConfig;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.config.HubConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hazelcast cluster manager for clustered hubs: {@code cluster.xml} from the classpath (TCP-IP
 * join only, no multicast, no auto-detection, phone-home off, no join delay) with members,
 * interface and port taken from {@code cluster.*}.
 *
 * <p>A member without a port ({@code "10.0.0.5"}) stands for every port within
 * {@value #PORT_SPAN} of this node's {@code cluster.port}, below and above. Hazelcast on its own
 * only tries the ports from its own port upwards, so a node configured with port 5702 would never
 * find a first node on 5701. A member with a port ({@code "10.0.0.5:5710"}) is used as given.
 */
public final class ClusterSupport {
  /** How far from this node's port a port-less member is looked for (both directions). */
  static final int PORT_SPAN = 10;
  /** Member attribute holding a configured hub {@code nodeId} (else the Vert.x node id is the hub's). */
  static final String HUB_NODE_ID_ATTRIBUTE = "hub.nodeId";

  private ClusterSupport() {}

  /**
   * Whether hub node {@code hubNodeId} is a member of this node's cluster right now (always true
   * when {@code vertx} is not clustered with this class's cluster manager). A node whose
   * membership ended without its process stopping (a partition, a Hazelcast instance that was
   * terminated) may go on publishing on the event bus for a while; state it announces is only
   * taken from members, so what {@link Addresses#CLUSTER_NODE_LEFT} removed stays removed.
   */
  public static boolean isMember(Vertx vertx, String hubNodeId) {
    if (hubNodeId == null) {
      return false;
    }
    if (vertx instanceof io.vertx.core.internal.VertxInternal internal
        && internal.clusterManager() instanceof LoggingClusterManager manager) {
      return manager.hasMember(hubNodeId);
    }
    return true;
  }

  /**
   * The cluster manager of a node; {@code nodeId} is the configured hub node id, or null when the
   * node goes by its Vert.x cluster node id.
   */
  public static ClusterManager clusterManager(HubConfig.Cluster cluster, String nodeId) {
    Config hz = hazelcastConfig(cluster);
    if (nodeId != null && !nodeId.isBlank()) {
      hz.getMemberAttributeConfig().setAttribute(HUB_NODE_ID_ATTRIBUTE, nodeId);
    }
    return new LoggingClusterManager(hz);
  }

  /**
   * Logs membership changes at INFO (Hazelcast's own logger is kept at WARN), naming members by
   * their Vert.x cluster node id (the hub's {@code nodeId} unless one is configured), which
   * vertx-hazelcast keeps in a member attribute; Hazelcast's own member UUID is a different id.
   * A member that leaves is also announced on {@link Addresses#CLUSTER_NODE_LEFT} (this node only),
   * by its hub node id, so the jobs service can let go of the connections it had there.
   */
  private static final class LoggingClusterManager extends HazelcastClusterManager {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterSupport.class);
    /** Where vertx-hazelcast stores a member's Vert.x node id. */
    private static final String NODE_ID_ATTRIBUTE = "__vertx.nodeId";

    private volatile Vertx vertx;

    LoggingClusterManager(Config config) {
      super(config);
    }

    @Override
    public void init(Vertx vertx) {
      this.vertx = vertx;
      super.init(vertx);
    }

    @Override
    public synchronized void memberAdded(MembershipEvent event) {
      LOG.info("Cluster member joined: node {} at {} ({} members)", nodeId(event.getMember()),
          event.getMember().getAddress(), event.getMembers().size());
      super.memberAdded(event);
    }

    @Override
    public synchronized void memberRemoved(MembershipEvent event) {
      LOG.info("Cluster member left: node {} at {} ({} members)", nodeId(event.getMember()),
          event.getMember().getAddress(), event.getMembers().size());
      super.memberRemoved(event);
      Vertx v = vertx;
      String hubNodeId = event.getMember().getAttribute(HUB_NODE_ID_ATTRIBUTE);
      String left = hubNodeId != null ? hubNodeId : event.getMember().getAttribute(NODE_ID_ATTRIBUTE);
      if (v != null && left != null) {
        v.eventBus().publish(Addresses.CLUSTER_NODE_LEFT, left, new DeliveryOptions().setLocalOnly(true));
      }
    }

    /** Whether a current member goes by {@code hubNodeId}; false once this node's own Hazelcast is down. */
    boolean hasMember(String hubNodeId) {
      try {
        for (Member m : getHazelcastInstance().getCluster().getMembers()) {
          String configured = m.getAttribute(HUB_NODE_ID_ATTRIBUTE);
          if (hubNodeId.equals(configured != null ? configured : m.getAttribute(NODE_ID_ATTRIBUTE))) {
            return true;
          }
        }
        return false;
      } catch (RuntimeException notRunning) { // HazelcastInstanceNotActiveException, or not joined yet
        return false;
      }
    }

    private static String nodeId(Member member) {
      String id = member.getAttribute(NODE_ID_ATTRIBUTE);
      return id != null ? id : "(hazelcast " + member.getUuid() + ")";
    }
  }

  /** The Hazelcast configuration a node with these settings runs with. */
  static Config hazelcastConfig(HubConfig.Cluster cluster) {
    Config hz = ConfigUtil.loadConfig();
    hz.getNetworkConfig().setPort(cluster.port()).setPortAutoIncrement(true).setPortCount(PORT_SPAN + 1);
    hz.getNetworkConfig().getInterfaces().setEnabled(true).setInterfaces(List.of(cluster.host()));
    JoinConfig join = hz.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getAwsConfig().setEnabled(false);
    join.getKubernetesConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(members(cluster.members(), cluster.port()));
    hz.setProperty("hazelcast.phone.home.enabled", "false");
    hz.setProperty("hazelcast.wait.seconds.before.join", "0");
    hz.setProperty("hazelcast.shutdownhook.enabled", "false");
    return hz;
  }

  /** Members with an explicit port as given; port-less ones expanded to {@code port ± PORT_SPAN}. */
  static List<String> members(List<String> configured, int port) {
    Set<String> out = new LinkedHashSet<>();
    for (String m : configured) {
      String member = m.trim();
      if (member.isEmpty()) {
        continue;
      }
      if (hasPort(member)) {
        out.add(member);
        continue;
      }
      String host = member.contains(":") && !member.startsWith("[") ? "[" + member + "]" : member;
      for (int p = Math.max(1, port - PORT_SPAN); p <= Math.min(65535, port + PORT_SPAN); p++) {
        out.add(host + ":" + p);
      }
    }
    return new ArrayList<>(out);
  }

  /** {@code host:port} or {@code [v6]:port}; a bare IPv6 address has colons but no port. */
  private static boolean hasPort(String member) {
    if (member.startsWith("[")) {
      return member.contains("]:");
    }
    int colon = member.indexOf(':');
    return colon > 0 && colon == member.lastIndexOf(':');
  }
}
