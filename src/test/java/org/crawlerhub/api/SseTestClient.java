package org.crawlerhub.api;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** A reading SSE client over a real HTTP connection that records every event it parses. */
final class SseTestClient implements AutoCloseable {
  record Event(String id, String name, JsonObject data) {}

  final List<Event> events = new CopyOnWriteArrayList<>();
  final List<String> comments = new CopyOnWriteArrayList<>();
  final HttpClient http;
  final int status;
  private final StringBuilder pending = new StringBuilder();
  private String id;
  private String name;
  private final StringBuilder data = new StringBuilder();

  SseTestClient(Vertx vertx, int port, Map<String, String> headers) throws Exception {
    http = vertx.createHttpClient();
    RequestOptions opts = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
        .setURI("/api/events");
    headers.forEach(opts::addHeader);
    // The handler is set on the event loop as the response arrives, so no early chunk is missed.
    status = http.request(opts).compose(r -> r.send()).map(resp -> {
      resp.handler(b -> parse(b.toString()));
      return resp.statusCode();
    }).await(10, TimeUnit.SECONDS);
  }

  private synchronized void parse(String chunk) {
    pending.append(chunk);
    int nl;
    while ((nl = pending.indexOf("\n")) >= 0) {
      String line = pending.substring(0, nl);
      pending.delete(0, nl + 1);
      if (line.isEmpty()) {
        if (name != null || data.length() > 0) {
          events.add(new Event(id, name, data.length() == 0 ? null : new JsonObject(data.toString())));
        }
        id = null;
        name = null;
        data.setLength(0);
      } else if (line.startsWith(":")) {
        comments.add(line);
      } else if (line.startsWith("id: ")) {
        id = line.substring(4);
      } else if (line.startsWith("event: ")) {
        name = line.substring(7);
      } else if (line.startsWith("data: ")) {
        data.append(line.substring(6));
      }
    }
  }

  List<Event> named(String name) {
    return events.stream().filter(e -> name.equals(e.name())).toList();
  }

  @Override
  public void close() {
    http.close();
  }
}
