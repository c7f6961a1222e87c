package org.crawlerhub.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.crawlerhub.config.HubConfig;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The Hazelcast configuration a clustered hub runs with (no cluster is started here). */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ClusterSupportTest {

  @Test
  @DisplayName("the cluster joins over TCP-IP only: no multicast, no auto-detection, no phone-home, no join delay")
  void joinsOverTcpIpOnly() {
    // GIVEN a node on 127.0.0.1:5801 with one member host
    HubConfig.Cluster cluster = new HubConfig.Cluster(true, "127.0.0.1", 5801, List.of("127.0.0.1"));

    // WHEN its Hazelcast configuration is built
    Config hz = ClusterSupport.hazelcastConfig(cluster);

    // THEN only the TCP-IP join is on, bound to the configured interface and port
    JoinConfig join = hz.getNetworkConfig().getJoin();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(hz.getNetworkConfig().getPort()).isEqualTo(5801);
    assertThat(hz.getNetworkConfig().getInterfaces().getInterfaces()).containsExactly("127.0.0.1");
    assertThat(hz.getProperty("hazelcast.phone.home.enabled")).isEqualTo("false");
    assertThat(hz.getProperty("hazelcast.wait.seconds.before.join")).isEqualTo("0");
    // AND the structures the Vert.x event bus relies on are kept from cluster.xml
    assertThat(hz.getMultiMapConfigs()).containsKey("__vertx.subs");
    assertThat(hz.getClusterName()).isEqualTo("crawler-hub");
  }

  @Test
  @DisplayName("a member without a port stands for the ports around this node's own, so nodes with distinct ports find each other")
  void portLessMembersCoverNearbyPorts() {
    // GIVEN members with and without ports
    List<String> configured = List.of("127.0.0.1", "10.0.0.7:6000", " ");

    // WHEN they are expanded for a node on port 5702
    List<String> members = ClusterSupport.members(configured, 5702);

    // THEN the port-less host covers 5702 ± 10 (the first node's 5701 included) and the explicit one is kept
    assertThat(members).contains("127.0.0.1:5692", "127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5712", "10.0.0.7:6000");
    assertThat(members).doesNotContain("127.0.0.1:5691", "127.0.0.1:5713");
    assertThat(members).hasSize(2 * ClusterSupport.PORT_SPAN + 2);
  }

  @Test
  @DisplayName("a bare IPv6 member is bracketed before a port is added")
  void ipv6MembersAreBracketed() {
    assertThat(ClusterSupport.members(List.of("::1"), 5701)).contains("[::1]:5701");
    assertThat(ClusterSupport.members(List.of("[::1]:5705"), 5701)).containsExactly("[::1]:5705");
  }
}
