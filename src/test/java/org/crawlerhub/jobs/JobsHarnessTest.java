package org.crawlerhub.jobs;

import org.crawlerhub.testing.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** Base of the jobs tests that run each test on a fresh database with the harness's default test configuration. */
abstract class JobsHarnessTest {
  JobsHarness hub;

  @BeforeEach
  void startHub() {
    hub = JobsHarness.start(JobsHarness.baseConfig(TestDatabase.freshDatabase()));
  }

  @AfterEach
  void stopHub() {
    hub.close();
  }
}
