// The status API over real HTTP on a free port, queried with cpp-httplib's client: every endpoint's
// exact body in Kafka Connect's shapes, Connect's 404 and 405 bodies, bind failures, and views
// that change while the server's threads read them.
#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "run/status_server.h"

namespace kpipe {
namespace {

using Ordered = nlohmann::ordered_json;

std::vector<ConnectorView> two_pipelines() {
  ConnectorView in;
  in.name = "jdbc-in";
  in.type = "source";
  in.state = "RUNNING";
  in.config = Ordered{{"connector.class", "io.confluent.connect.jdbc.JdbcSourceConnector"},
                      {"connection.password", "********"},
                      {"tasks.max", "1"}};
  in.offsets = Ordered::parse(
      R"({"offsets":[{"partition":{"protocol":"1","table":"db.t"},"offset":{"incrementing":42}}]})");
  ConnectorView out;
  out.name = "to-pg";
  out.type = "sink";
  out.state = "FAILED";
  out.trace = "jdbc sink: relation \"t\" does not exist";
  out.config = Ordered{{"connector.class", "io.confluent.connect.jdbc.JdbcSinkConnector"}};
  out.offsets = Ordered::parse(
      R"({"offsets":[{"partition":{"kafka_topic":"t","kafka_partition":0},"offset":{"kafka_offset":7}}]})");
  return {in, out};
}

struct Served {
  std::unique_ptr<StatusServer> server;
  std::unique_ptr<httplib::Client> client;
  std::string worker;  // "127.0.0.1:port"
};

Served serve(StatusServer::Views views) {
  Served s;
  Status st = StatusServer::start(
      "127.0.0.1", 0, std::move(views), [] { return std::string("kpipe_records_total 3\n"); },
      &s.server);
  REQUIRE_MESSAGE(st.ok(), st.message());
  REQUIRE(s.server->port() > 0);
  s.client = std::make_unique<httplib::Client>("127.0.0.1", s.server->port());
  s.worker = "127.0.0.1:" + std::to_string(s.server->port());
  return s;
}

// Checks status, Content-Type and the exact body of one response.
void expect(const httplib::Result& r, int status, const std::string& body,
            const std::string& content_type = "application/json") {
  REQUIRE(r);
  CHECK(r->status == status);
  CHECK(r->get_header_value("Content-Type") == content_type);
  CHECK(r->body == body);
}

TEST_CASE("status server: every endpoint in Connect's shapes") {
  Served s = serve(two_pipelines);
  httplib::Client& c = *s.client;
  const std::string w = s.worker;
  const std::string in_config =
      R"({"connector.class":"io.confluent.connect.jdbc.JdbcSourceConnector","connection.password":"********","tasks.max":"1"})";
  const std::string in_info = R"({"name":"jdbc-in","config":)" + in_config +
                              R"(,"tasks":[{"connector":"jdbc-in","task":0}],"type":"source"})";
  const std::string in_status =
      R"({"name":"jdbc-in","connector":{"state":"RUNNING","worker_id":")" + w +
      R"("},"tasks":[{"id":0,"state":"RUNNING","worker_id":")" + w + R"("}],"type":"source"})";
  const std::string trace = R"(jdbc sink: relation \"t\" does not exist)";
  const std::string out_status = R"({"name":"to-pg","connector":{"state":"FAILED","worker_id":")" +
                                 w + R"(","trace":")" + trace +
                                 R"("},"tasks":[{"id":0,"state":"FAILED","worker_id":")" + w +
                                 R"(","trace":")" + trace + R"("}],"type":"sink"})";
  const std::string out_info =
      R"({"name":"to-pg","config":{"connector.class":"io.confluent.connect.jdbc.JdbcSinkConnector"},"tasks":[{"connector":"to-pg","task":0}],"type":"sink"})";

  expect(c.Get("/"), 200,
         std::string(R"({"version":")") + KPIPE_VERSION +
             R"(","commit":"unknown","kafka_cluster_id":null})");
  expect(
      c.Get("/health"), 200,
      R"({"status":"healthy","message":"Worker has completed startup and is ready to handle requests."})");
  expect(c.Get("/connectors"), 200, R"(["jdbc-in","to-pg"])");
  expect(c.Get("/connectors?expand=status"), 200,
         R"({"jdbc-in":{"status":)" + in_status + R"(},"to-pg":{"status":)" + out_status + "}}");
  expect(c.Get("/connectors?expand=info"), 200,
         R"({"jdbc-in":{"info":)" + in_info + R"(},"to-pg":{"info":)" + out_info + "}}");
  expect(c.Get("/connectors?expand=info&expand=status"), 200,
         R"({"jdbc-in":{"status":)" + in_status + R"(,"info":)" + in_info +
             R"(},"to-pg":{"status":)" + out_status + R"(,"info":)" + out_info + "}}");
  // Connect ignores an expansion it does not know, but still answers with the map.
  expect(c.Get("/connectors?expand=topics"), 200, R"({"jdbc-in":{},"to-pg":{}})");

  expect(c.Get("/connectors/jdbc-in"), 200, in_info);
  expect(c.Get("/connectors/jdbc-in/config"), 200, in_config);
  expect(c.Get("/connectors/jdbc-in/status"), 200, in_status);
  expect(c.Get("/connectors/to-pg/status"), 200, out_status);
  expect(c.Get("/connectors/jdbc-in/tasks"), 200,
         R"([{"id":{"connector":"jdbc-in","task":0},"config":)" + in_config + "}]");
  expect(c.Get("/connectors/jdbc-in/tasks/0/status"), 200,
         R"({"id":0,"state":"RUNNING","worker_id":")" + w + R"("})");
  expect(c.Get("/connectors/to-pg/tasks/0/status"), 200,
         R"({"id":0,"state":"FAILED","worker_id":")" + w + R"(","trace":")" + trace + R"("})");
  expect(
      c.Get("/connectors/jdbc-in/offsets"), 200,
      R"({"offsets":[{"partition":{"protocol":"1","table":"db.t"},"offset":{"incrementing":42}}]})");
  expect(
      c.Get("/connectors/to-pg/offsets"), 200,
      R"({"offsets":[{"partition":{"kafka_topic":"t","kafka_partition":0},"offset":{"kafka_offset":7}}]})");
  expect(c.Get("/metrics"), 200, "kpipe_records_total 3\n",
         "text/plain; version=0.0.4; charset=utf-8");

  SUBCASE("unknown connectors, tasks and paths: 404 with Connect's body") {
    for (const char* path :
         {"/connectors/nope", "/connectors/nope/config", "/connectors/nope/status",
          "/connectors/nope/tasks", "/connectors/nope/offsets"})
      expect(c.Get(path), 404, R"({"error_code":404,"message":"Connector nope not found"})");
    expect(c.Get("/connectors/jdbc-in/tasks/1/status"), 404,
           R"({"error_code":404,"message":"No status found for task jdbc-in-1"})");
    expect(c.Get("/connectors/nope/tasks/0/status"), 404,
           R"({"error_code":404,"message":"No status found for task nope-0"})");
    expect(c.Get("/connector-plugins"), 404,
           R"({"error_code":404,"message":"HTTP 404 Not Found"})");
    expect(c.Get("/connectors/jdbc-in/topics"), 404,
           R"({"error_code":404,"message":"HTTP 404 Not Found"})");
  }

  SUBCASE("every change: 405, read-only") {
    auto read_only = [](const std::string& method, const std::string& path) {
      return R"({"error_code":405,"message":"HTTP 405 Method Not Allowed: kpipe's status API is read-only ()" +
             method + " " + path + R"(); change a pipeline in its file"})";
    };
    const std::string body = R"({"name":"x","config":{}})";
    expect(c.Post("/connectors", body, "application/json"), 405, read_only("POST", "/connectors"));
    expect(c.Put("/connectors/jdbc-in/config", "{}", "application/json"), 405,
           read_only("PUT", "/connectors/jdbc-in/config"));
    expect(c.Put("/connectors/jdbc-in/pause", "", "application/json"), 405,
           read_only("PUT", "/connectors/jdbc-in/pause"));
    expect(c.Patch("/connectors/jdbc-in/offsets", R"({"offsets":[]})", "application/json"), 405,
           read_only("PATCH", "/connectors/jdbc-in/offsets"));
    expect(c.Delete("/connectors/jdbc-in"), 405, read_only("DELETE", "/connectors/jdbc-in"));
    expect(c.Delete("/connectors/jdbc-in/offsets"), 405,
           read_only("DELETE", "/connectors/jdbc-in/offsets"));
    expect(c.Post("/connectors/to-pg/restart", "", "application/json"), 405,
           read_only("POST", "/connectors/to-pg/restart"));
    expect(c.Options("/connectors"), 405, read_only("OPTIONS", "/connectors"));
  }
}

TEST_CASE("status server: no pipelines, and views that throw") {
  SUBCASE("none") {
    Served s = serve([] { return std::vector<ConnectorView>{}; });
    expect(s.client->Get("/connectors"), 200, "[]");
    expect(s.client->Get("/connectors?expand=status"), 200, "{}");
  }
  SUBCASE("a throwing view is a 500 that does not repeat its message") {
    Served s =
        serve([]() -> std::vector<ConnectorView> { throw std::runtime_error("password=hunter2"); });
    httplib::Result r = s.client->Get("/connectors");
    expect(r, 500, R"({"error_code":500,"message":"HTTP 500 Internal Server Error"})");
    for (const auto& h : r->headers) CHECK(h.second.find("hunter2") == std::string::npos);
    expect(s.client->Get("/"), 200,
           std::string(R"({"version":")") + KPIPE_VERSION +
               R"(","commit":"unknown","kafka_cluster_id":null})");
  }
}

TEST_CASE("status server: bind failures are statuses naming the address") {
  Served s = serve(two_pipelines);
  const int port = s.server->port();
  std::unique_ptr<StatusServer> second;
  Status st = StatusServer::start(
      "127.0.0.1", port, two_pipelines, [] { return std::string(); }, &second);
  CHECK(st.code() == Code::kInvalid);
  CHECK(st.message().find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
  CHECK(second == nullptr);
  // The first still answers.
  expect(s.client->Get("/connectors"), 200, R"(["jdbc-in","to-pg"])");

  // TEST-NET-3: not an address of this machine.
  st = StatusServer::start(
      "203.0.113.7", 0, two_pipelines, [] { return std::string(); }, &second);
  CHECK(st.code() == Code::kInvalid);
  CHECK(st.message().find("203.0.113.7:0") != std::string::npos);
  st = StatusServer::start(
      "not an address", 8083, two_pipelines, [] { return std::string(); }, &second);
  CHECK(st.code() == Code::kInvalid);
  CHECK(st.message().find("not an address:8083") != std::string::npos);
  CHECK(second == nullptr);
}

TEST_CASE("status server: views change while clients poll") {
  std::mutex mu;
  std::vector<ConnectorView> current = two_pipelines();
  std::atomic<int> calls{0};
  Served s = serve([&] {
    ++calls;
    std::lock_guard<std::mutex> lock(mu);
    return current;
  });

  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; !done; ++i) {
      std::lock_guard<std::mutex> lock(mu);
      current[0].state = i % 2 ? "FAILED" : "RUNNING";
      current[0].trace = i % 2 ? "failure " + std::to_string(i) : "";
      current[0].offsets["offsets"][0]["offset"]["incrementing"] = i;
      if (i % 3 == 0)
        current.resize(1);
      else if (current.size() == 1)
        current.push_back(two_pipelines()[1]);
    }
  });
  std::atomic<int> bad{0}, answered{0};
  std::vector<std::thread> pollers;
  for (int t = 0; t < 4; ++t)
    pollers.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", s.server->port());
      c.set_keep_alive(t % 2 == 0);
      for (int i = 0; i < 50; ++i) {
        httplib::Result r =
            c.Get(i % 2 ? "/connectors/jdbc-in/status" : "/connectors?expand=status");
        if (!r || r->status != 200) {
          ++bad;
          continue;
        }
        try {
          const Ordered body = Ordered::parse(r->body);
          const Ordered& st = i % 2 ? body : body.at("jdbc-in").at("status");
          const std::string state = st.at("connector").at("state");
          const bool failed = state == "FAILED";
          if ((state != "RUNNING" && !failed) || failed != st.at("connector").contains("trace") ||
              st.at("tasks").at(0).at("state") != state)
            ++bad;
        } catch (const nlohmann::json::exception&) {
          ++bad;
        }
        ++answered;
      }
    });
  for (std::thread& p : pollers) p.join();
  done = true;
  writer.join();
  CHECK(bad == 0);
  CHECK(answered == 200);
  CHECK(calls >= 200);
}

TEST_CASE("status server: stops promptly with an idle keep-alive client, or right after start") {
  for (int i = 0; i < 20; ++i) {
    std::unique_ptr<StatusServer> server;
    REQUIRE(StatusServer::start(
                "127.0.0.1", 0, two_pipelines, [] { return std::string(); }, &server)
                .ok());
  }
  Served s = serve(two_pipelines);
  s.client->set_keep_alive(true);
  expect(s.client->Get("/connectors"), 200, R"(["jdbc-in","to-pg"])");
  const auto start = std::chrono::steady_clock::now();
  s.server.reset();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(3));
}

}  // namespace
}  // namespace kpipe
