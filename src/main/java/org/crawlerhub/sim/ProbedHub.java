package org.crawlerhub.sim;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import org.crawlerhub.app.Main;
import io.vertx.core.shareddata.LocalMap;
import org.crawlerhub.bus.Addresses;
import org.crawlerhub.bus.ProgressLane;
import org.crawlerhub.protocol.JobReport;
import org.crawlerhub.protocol.JobReportBatch;

/**
 * The hub exactly as {@code java -jar crawler-hub.jar} runs it, plus the one-way latency probes
 * of {@link OneWayProbes} in its process: an outbound event-bus interceptor notes the moment a
 * probe job's {@code hub.progress.job.<id>} publish is made ({@code P}), and a subscriber of
 * {@code hub.progress.jobs} (published in the same step) the moment it is delivered ({@code D}),
 * and the router's hand-off of the accepted report to the aggregator ({@code R}: the offer to the
 * aggregator's {@link ProgressLane}, or the {@code hub.crawler.job-reports.local} publish while no
 * lane is listed) splits the way in two.
 * The records go to the file named by {@code HUB_PROBE_FILE}. The interceptor looks at every
 * message the hub sends: one address prefix test for most, a few field reads for the progress
 * publishes (at most one per job per {@code progressPublishInterval}).
 *
 * <pre>
 * HUB_PROBE_FILE=/tmp/hub.probes java -cp crawler-hub.jar org.crawlerhub.sim.ProbedHub [hub options]
 * </pre>
 */
public final class ProbedHub {
  private ProbedHub() {}

  public static void main(String[] args) throws Exception {
    String file = System.getenv("HUB_PROBE_FILE");
    if (file == null || file.isBlank()) {
      System.err.println("ProbedHub: set HUB_PROBE_FILE to the file the probes go to");
      System.exit(2);
    }
    OneWayProbes probes = OneWayProbes.toFile(Path.of(file));
    Runtime.getRuntime().addShutdownHook(new Thread(probes::close, "one-way-probes-close"));
    Main.run(args, hub -> install(hub.vertx(), probes));
  }

  /** Records every probe published on {@code hub.progress.job.<id>} and delivered on {@code hub.progress.jobs}. */
  static void install(Vertx vertx, OneWayProbes probes) {
    EventBus bus = vertx.eventBus();
    // the lanes are listed once the hub has started: each is replaced by one that notes R first
    LocalMap<Integer, ProgressLane> lanes = ProgressLane.map(vertx);
    for (Integer partition : lanes.keySet()) {
      ProgressLane lane = lanes.get(partition);
      lanes.put(partition, batch -> {
        recordRouted(probes, batch);
        return lane.offer(batch);
      });
    }
    bus.addOutboundInterceptor(dc -> {
      if (!dc.send()) {
        String address = dc.message().address();
        Object body = dc.body();
        if (body instanceof JsonObject progress && address.startsWith(Addresses.PROGRESS_JOB_PREFIX)) {
          probes.recordIfProbe('P', progress.getString("message"), System.nanoTime());
        } else if (body instanceof JobReportBatch batch && address.equals(Addresses.JOB_REPORTS_LOCAL)) {
          recordRouted(probes, batch);
        }
      }
      dc.next();
    });
    bus.<JsonObject>localConsumer(Addresses.PROGRESS_JOBS, m -> {
      if (m.body() != null) {
        probes.recordIfProbe('D', m.body().getString("message"), System.nanoTime());
      }
    });
  }

  private static void recordRouted(OneWayProbes probes, JobReportBatch batch) {
    long at = System.nanoTime();
    for (JobReport r : batch.reports()) {
      probes.recordIfProbe('R', r.message, at);
    }
  }
}
