package org.crawlerhub.sim;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("ProcessCpu")
class ProcessCpuTest {

  @Test
  @DisplayName("reads utime + stime of a stat line whose command name holds spaces and parentheses")
  void parsesStatLine() {
    // GIVEN a stat line: utime 250 ticks, stime 50 ticks (fields 14 and 15)
    String line = "4242 (java (my hub)) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 40 0";

    // THEN the CPU time is 300 ticks of 10 ms
    assertThat(ProcessCpu.parse(line)).isEqualTo(3_000_000_000L);
    assertThat(ProcessCpu.parseSystem(line)).isEqualTo(500_000_000L);
  }

  @Test
  @DisplayName("reads this JVM's CPU time, which grows with work, and refuses a pid that does not exist")
  void readsOwnProcess() {
    // GIVEN this JVM
    ProcessCpu self = ProcessCpu.of(ProcessHandle.current().pid());
    assertThat(self).isNotNull();
    long before = self.nanos();

    // WHEN it burns some CPU
    long x = 0;
    long until = System.nanoTime() + 200_000_000L;
    while (System.nanoTime() < until) {
      x += Long.numberOfTrailingZeros(x + System.nanoTime());
    }

    // THEN its CPU time went up; no reader for pid 0 or a pid beyond the kernel's maximum
    assertThat(self.nanos()).as("cpu after %d", x).isGreaterThan(before);
    assertThat(ProcessCpu.of(0)).isNull();
    assertThat(ProcessCpu.of(Integer.MAX_VALUE)).isNull();
  }

  @Test
  @DisplayName("MachineCpu reads busy and total jiffies from /proc/stat's cpu line: idle and iowait are not busy")
  void machineCpuLine() {
    // GIVEN a cpu line: user nice system idle iowait irq softirq steal guest guest_nice
    long[] v = MachineCpu.parse("cpu  100 5 20 800 50 0 25 0 0 0");
    // THEN busy = everything but idle and iowait, total = the sum
    assertThat(v).containsExactly(150L, 1000L);
  }
}
