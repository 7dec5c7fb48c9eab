#include "run/status_server.h"

#include <httplib.h>

#include <chrono>

namespace kpipe {

namespace {

using Ordered = nlohmann::ordered_json;

void send_json(httplib::Response& res, int status, const Ordered& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, Ordered::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, Ordered{{"error_code", status}, {"message", message}});
}

Ordered task_ids(const ConnectorView& v) {
  return Ordered::array({Ordered{{"connector", v.name}, {"task", 0}}});
}

Ordered info(const ConnectorView& v) {
  return Ordered{{"name", v.name}, {"config", v.config}, {"tasks", task_ids(v)}, {"type", v.type}};
}

Ordered state(const std::string& worker, const ConnectorView& v, bool task) {
  Ordered s;
  if (task) s["id"] = 0;
  s["state"] = v.state;
  s["worker_id"] = worker;
  if (!v.trace.empty()) s["trace"] = v.trace;  // Connect leaves it out when empty
  return s;
}

Ordered status(const std::string& worker, const ConnectorView& v) {
  return Ordered{{"name", v.name},
                 {"connector", state(worker, v, false)},
                 {"tasks", Ordered::array({state(worker, v, true)})},
                 {"type", v.type}};
}

}  // namespace

Status StatusServer::start(const std::string& bind_address, int port, Views views, Metrics metrics,
                           std::unique_ptr<StatusServer>* out) {
  std::unique_ptr<StatusServer> s(new StatusServer());
  s->server_ = std::make_unique<httplib::Server>();
  // A few pollers, not a web site: 4 workers (httplib takes the pool it is given), and idle
  // keep-alive connections let go after a second so that stopping never waits long for them.
  s->server_->new_task_queue = [] { return new httplib::ThreadPool(4); };
  s->server_->set_keep_alive_timeout(1);
  s->server_->set_tcp_nodelay(true);  // headers and body go out as two writes
  // httplib's default also sets SO_REUSEPORT, with which a second kpipe on the same port would
  // bind too and take half the requests; SO_REUSEADDR alone only reuses a closed port at once.
  s->server_->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  s->server_->set_read_timeout(5);
  s->server_->set_write_timeout(5);
  s->views_ = std::move(views);
  s->metrics_ = std::move(metrics);
  s->routes();
  if (port == 0) {
    s->port_ = s->server_->bind_to_any_port(bind_address);
  } else if (s->server_->bind_to_port(bind_address, port)) {
    s->port_ = port;
  } else {
    s->port_ = -1;
  }
  if (s->port_ <= 0)
    return Status::Invalid("--rest-port: cannot listen on " + bind_address + ":" +
                           std::to_string(port) +
                           " (in use, or not an address of this machine: see --rest-bind)");
  s->worker_id_ = bind_address + ":" + std::to_string(s->port_);
  StatusServer* self = s.get();
  s->thread_ = std::thread([self] {
    self->server_->listen_after_bind();
    self->listened_ = true;
  });
  // httplib's stop() does nothing until the server runs: wait for that, so that destroying the
  // server right after start() cannot leave it listening and the join waiting forever.
  while (!s->server_->is_running() && !s->listened_)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  *out = std::move(s);
  return Status::Ok();
}

StatusServer::~StatusServer() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

void StatusServer::routes() {
  httplib::Server& s = *server_;
  // Finds the connector of the request's first path group, or answers 404 as Connect does.
  auto with_connector = [this](const httplib::Request& req, httplib::Response& res,
                               const std::function<void(const ConnectorView&)>& then) {
    const std::string name = req.matches[1];
    for (const ConnectorView& v : views_())
      if (v.name == name) return then(v);
    send_error(res, 404, "Connector " + name + " not found");
  };
  s.Get("/", [](const httplib::Request&, httplib::Response& res) {
#ifdef KPIPE_COMMIT
    const char* commit = KPIPE_COMMIT;
#else
    const char* commit = "unknown";
#endif
    // kafka_cluster_id: a pipeline may talk to several clusters, or none.
    send_json(
        res, 200,
        Ordered{{"version", KPIPE_VERSION}, {"commit", commit}, {"kafka_cluster_id", nullptr}});
  });
  s.Get("/health", [](const httplib::Request&, httplib::Response& res) {
    send_json(
        res, 200,
        Ordered{{"status", "healthy"},
                {"message", "Worker has completed startup and is ready to handle requests."}});
  });
  s.Get("/connectors", [this](const httplib::Request& req, httplib::Response& res) {
    bool with_status = false, with_info = false;
    for (size_t i = 0; i < req.get_param_value_count("expand"); ++i) {
      const std::string e = req.get_param_value("expand", i);
      with_status |= e == "status";
      with_info |= e == "info";
    }
    const std::vector<ConnectorView> all = views_();
    // Any expand, even one Connect does not know, gives the map form (with {} per connector).
    if (!req.has_param("expand")) {
      Ordered names = Ordered::array();
      for (const ConnectorView& v : all) names.push_back(v.name);
      return send_json(res, 200, names);
    }
    Ordered out = Ordered::object();
    for (const ConnectorView& v : all) {
      Ordered one = Ordered::object();
      if (with_status) one["status"] = status(worker_id_, v);
      if (with_info) one["info"] = info(v);
      out[v.name] = std::move(one);
    }
    send_json(res, 200, out);
  });
  s.Get("/connectors/([^/]+)", [=](const httplib::Request& req, httplib::Response& res) {
    with_connector(req, res, [&](const ConnectorView& v) { send_json(res, 200, info(v)); });
  });
  s.Get("/connectors/([^/]+)/config", [=](const httplib::Request& req, httplib::Response& res) {
    with_connector(req, res, [&](const ConnectorView& v) { send_json(res, 200, v.config); });
  });
  s.Get("/connectors/([^/]+)/status", [=](const httplib::Request& req, httplib::Response& res) {
    with_connector(req, res,
                   [&](const ConnectorView& v) { send_json(res, 200, status(worker_id_, v)); });
  });
  s.Get("/connectors/([^/]+)/tasks", [=](const httplib::Request& req, httplib::Response& res) {
    with_connector(req, res, [&](const ConnectorView& v) {
      Ordered id{{"connector", v.name}, {"task", 0}};
      send_json(res, 200, Ordered::array({Ordered{{"id", id}, {"config", v.config}}}));
    });
  });
  s.Get("/connectors/([^/]+)/tasks/([0-9]+)/status",
        [this](const httplib::Request& req, httplib::Response& res) {
          const std::string name = req.matches[1], task = req.matches[2];
          if (task == "0")
            for (const ConnectorView& v : views_())
              if (v.name == name) return send_json(res, 200, state(worker_id_, v, true));
          send_error(res, 404, "No status found for task " + name + "-" + task);
        });
  s.Get("/connectors/([^/]+)/offsets", [=](const httplib::Request& req, httplib::Response& res) {
    with_connector(req, res, [&](const ConnectorView& v) { send_json(res, 200, v.offsets); });
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_(), "text/plain; version=0.0.4; charset=utf-8");
  });
  auto read_only = [](const httplib::Request& req, httplib::Response& res) {
    send_error(res, 405,
               "HTTP 405 Method Not Allowed: kpipe's status API is read-only (" + req.method + " " +
                   req.path + "); change a pipeline in its file");
  };
  s.Post(".*", read_only);
  s.Put(".*", read_only);
  s.Patch(".*", read_only);
  s.Delete(".*", read_only);
  s.Options(".*", read_only);
  // Connect answers with the exception's message; a view's message is not known to be clean.
  s.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    send_error(res, 500, "HTTP 500 Internal Server Error");
  });
  s.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty())
      send_error(res, res.status,
                 "HTTP " + std::to_string(res.status) +
                     (res.status == 404   ? " Not Found"
                      : res.status == 400 ? " Bad Request"
                                          : ""));
  });
}

}  // namespace kpipe
