package org.crawlerhub.gateway;

/** How a crawler is connected; {@link #wire()} is the value of the {@code transport} header, event field and metric tag. */
public enum Transport {
  UNIX("unix"),
  TCP("tcp");

  private final String wire;

  Transport(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }
}
