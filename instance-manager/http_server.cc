#include "instance-manager/http_server.h"

#include <google/protobuf/util/json_util.h>
#include <httplib.h>

#include "common/base/cli.h"

#include "instance-manager/metrics.h"

namespace tusk::instance {

std::string StatusJson(const v1::InstanceStatus& status) {
  std::string out;
  google::protobuf::util::JsonPrintOptions opts;
  opts.always_print_primitive_fields = true;
  opts.preserve_proto_field_names = false;
  auto st = google::protobuf::util::MessageToJsonString(status, &out, opts);
  if (!st.ok()) return "{}";
  return out;
}

HttpServer::HttpServer(StatusHub* hub, Clock* clock)
    : hub_(hub), clock_(clock), server_(std::make_unique<httplib::Server>()) {
  server_->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("OK", "text/plain");
  });
  server_->Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    bool ready = hub_->Latest().ready();
    res.status = ready ? 200 : 500;
    res.set_content(ready ? "OK" : "not ready", "text/plain");
  });
  server_->Get("/startupz", [this](const httplib::Request&, httplib::Response& res) {
    auto s = hub_->Latest();
    if (s.phase() == v1::PHASE_REWINDING) {
      res.set_content("Skipped", "text/plain");  // pg_rewind may take long
      return;
    }
    bool started = s.fenced() || s.ready();
    res.status = started ? 200 : 500;
    res.set_content(started ? "OK" : "starting", "text/plain");
  });
  server_->Get("/pg/status", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(StatusJson(hub_->Latest()), "application/json");
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(RenderMetrics(hub_->Latest(), UnixMillis(clock_->WallNow())), "text/plain; version=0.0.4");
  });
}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start(const std::string& address) {
  ASSIGN_OR_RETURN(HostPort hp, ParseHostPortFlag("http-address", address));
  if (!server_->bind_to_port(hp.host.c_str(), hp.port)) return UnavailableError("cannot listen on " + address);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  return OkStatus();
}

void HttpServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace tusk::instance
