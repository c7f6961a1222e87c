package org.crawlerhub.sim;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.parsetools.RecordParser;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A stand-in for the hub in the simulator's tests (the real hub is built on other branches):
 * {@code POST /api/jobs} (bearer token checked) queues jobs; on the socket {@code hello} gets
 * {@code welcome}, {@code job_request} claims up to maxJobs queued jobs for the connection,
 * {@code token_refresh_request} is answered, and a job message for a job the connection does not
 * hold gets an {@code error} {@code UNKNOWN_JOB}. Everything runs on one event loop.
 */
final class FakeHub {
  private final String adminToken;
  private final ArrayDeque<JsonObject> queue = new ArrayDeque<>();
  private final Map<String, Set<String>> heldByConnection = new HashMap<>();
  private final Map<String, Long> receivedByType = new HashMap<>();
  final AtomicLong messages = new AtomicLong();
  /** Shortest and longest job_progress line seen (bytes, without the newline). */
  final AtomicLong progressMinBytes = new AtomicLong(Long.MAX_VALUE);
  final AtomicLong progressMaxBytes = new AtomicLong();
  private final AtomicInteger connections = new AtomicInteger();
  private NetServer net;
  private HttpServer http;
  private int connectionSeq;

  FakeHub(String adminToken) {
    this.adminToken = adminToken;
  }

  synchronized long received(String type) {
    return receivedByType.getOrDefault(type, 0L);
  }

  synchronized int queued() {
    return queue.size();
  }

  /**
   * Runs the fake as a process configured like the hub (SOCKET_PATH, HTTP_PORT, HUB_ADMIN_TOKEN),
   * to smoke-test the bench scripts' hub path before the real hub exists.
   */
  public static void main(String[] args) {
    FakeHub hub = new FakeHub(System.getenv().getOrDefault("HUB_ADMIN_TOKEN", "admin"));
    hub.start(Vertx.vertx(), System.getenv("SOCKET_PATH"),
        Integer.parseInt(System.getenv().getOrDefault("HTTP_PORT", "8080")))
        .onSuccess(p -> System.out.println("fake hub listening, HTTP port " + p))
        .onFailure(e -> {
          e.printStackTrace();
          System.exit(1);
        });
  }

  /** Listens on {@code socketPath} and an ephemeral HTTP port; answers the HTTP port. */
  Future<Integer> start(Vertx vertx, String socketPath) {
    return start(vertx, socketPath, 0);
  }

  Future<Integer> start(Vertx vertx, String socketPath, int httpPort) {
    net = vertx.createNetServer().connectHandler(this::serve);
    http = vertx.createHttpServer().requestHandler(req -> {
      if (req.path().equals("/health")) {
        req.response().end(new JsonObject().put("status", "UP").encode());
        return;
      }
      if (req.path().equals("/api/status")) {
        req.response().end(new JsonObject().put("running", true).put("connections", connections.get()).encode());
        return;
      }
      if (!req.path().equals("/api/jobs") || !"POST".equals(req.method().name())) {
        req.response().setStatusCode(404).end();
        return;
      }
      if (!("Bearer " + adminToken).equals(req.getHeader("Authorization"))) {
        req.response().setStatusCode(401).end(new JsonObject().put("error", "UNAUTHENTICATED").encode());
        return;
      }
      req.body().onSuccess(body -> {
        Object parsed = Json.decodeValue(body);
        JsonArray specs = parsed instanceof JsonArray a ? a : new JsonArray().add(parsed);
        JsonArray jobs = new JsonArray();
        synchronized (this) {
          for (Object o : specs) {
            JsonObject spec = (JsonObject) o;
            JsonObject job = new JsonObject().put("id", UUID.randomUUID().toString())
                .put("entityType", spec.getString("entityType")).put("entityId", spec.getString("entityId"))
                .put("gitlabUrl", spec.getString("gitlabUrl")).put("accessToken", spec.getString("accessToken"));
            queue.add(job);
            jobs.add(job.copy().put("status", "queued"));
          }
        }
        req.response().setStatusCode(201).putHeader("content-type", "application/json")
            .end(new JsonObject().put("jobs", jobs).encode());
      });
    });
    return net.listen(SocketAddress.domainSocketAddress(socketPath))
        .compose(s -> http.listen(httpPort, "127.0.0.1"))
        .map(HttpServer::actualPort);
  }

  Future<Void> stop() {
    return Future.all(net.close(), http.close()).mapEmpty();
  }

  private static Buffer frame(String type, String jobId, JsonObject data) {
    JsonObject f = new JsonObject().put("type", type).put("timestamp", Instant.now().toString());
    if (jobId != null) {
      f.put("jobId", jobId);
    }
    return f.put("data", data).toBuffer().appendString("\n");
  }

  private void serve(NetSocket socket) {
    String connection = "conn-" + (++connectionSeq);
    connections.incrementAndGet();
    socket.closeHandler(v -> connections.decrementAndGet());
    Set<String> held = new HashSet<>();
    RecordParser.newDelimited("\n", socket).handler(line -> {
      JsonObject msg = new JsonObject(line);
      String type = msg.getString("type");
      String jobId = msg.getString("jobId");
      JsonObject data = msg.getJsonObject("data", new JsonObject());
      messages.incrementAndGet();
      if ("job_progress".equals(type)) {
        progressMinBytes.accumulateAndGet(line.length(), Math::min);
        progressMaxBytes.accumulateAndGet(line.length(), Math::max);
      }
      synchronized (this) {
        receivedByType.merge(type, 1L, Long::sum);
      }
      switch (type) {
        case "hello" -> socket.write(frame("welcome", null, new JsonObject()
            .put("crawlerId", data.getString("crawlerId", connection)).put("protocolVersion", 1)));
        case "job_request" -> {
          int max = Math.min(data.getInteger("maxJobs", 5), 5);
          JsonArray jobs = new JsonArray();
          synchronized (this) {
            while (jobs.size() < max && !queue.isEmpty()) {
              JsonObject j = queue.poll();
              held.add(j.getString("id"));
              jobs.add(j);
            }
          }
          socket.write(frame("job_response", null, new JsonObject().put("jobs", jobs)));
        }
        case "token_refresh_request" -> socket.write(frame("token_refresh_response", jobId,
            new JsonObject().put("accessToken", "refreshed").put("refreshSuccessful", true)));
        case "heartbeat" -> { }
        default -> {
          if (!held.contains(jobId)) {
            socket.write(frame("error", jobId, new JsonObject().put("code", "UNKNOWN_JOB")
                .put("message", "jobId: no such job").put("refType", type)));
          } else if (type.equals("job_completed") || type.equals("job_failed")) {
            held.remove(jobId);
          }
        }
      }
    });
  }
}
