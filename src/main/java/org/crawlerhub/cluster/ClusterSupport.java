package org.crawlerhub.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import io.vertx.core.spi.cluster.ClusterManager;
import io.vertx.spi.cluster.hazelcast.ConfigUtil;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import org.crawlerhub.config.HubConfig;

/**
 * Hazelcast cluster manager for clustered hubs: {@code cluster.xml} from the classpath (TCP-IP
 * join, no multicast) with members, interface and port taken from {@code cluster.*}.
 */
public final class ClusterSupport {
  private ClusterSupport() {}

  public static ClusterManager clusterManager(HubConfig.Cluster cluster) {
    Config hz = ConfigUtil.loadConfig();
    hz.getNetworkConfig().setPort(cluster.port()).setPortAutoIncrement(true);
    hz.getNetworkConfig().getInterfaces().setEnabled(true).setInterfaces(java.util.List.of(cluster.host()));
    JoinConfig join = hz.getNetworkConfig().getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    join.getTcpIpConfig().setEnabled(true).setMembers(cluster.members());
    return new HazelcastClusterManager(hz);
  }
}
