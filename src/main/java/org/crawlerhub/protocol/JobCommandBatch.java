package org.crawlerhub.protocol;

import java.util.List;

/**
 * The jobs-service commands of one connection's batch, in receive order: the body of the
 * node-local {@code hub.jobs.command-batch} request, answered {@code {"replies":[...]}} with one
 * reply per command. Immutable by convention.
 */
public record JobCommandBatch(List<JobCommand> commands) {
  public JobCommandBatch {
    commands = List.copyOf(commands);
  }
}
