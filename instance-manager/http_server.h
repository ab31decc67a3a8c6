// Debug HTTP on :8000 (cpp-httplib): the kubelet's probes (/healthz,
// /readyz, /startupz), the status as JSON (/pg/status) and Prometheus
// metrics (/metrics). Read-only; it never shows secrets.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "common/base/clock.h"
#include "common/base/status.h"
#include "instance-manager/status_hub.h"

namespace httplib {
class Server;
}

namespace tusk::instance {

class HttpServer {
 public:
  HttpServer(StatusHub* hub, Clock* clock);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // `address` is host:port; listens before returning.
  Status Start(const std::string& address);
  void Stop();

 private:
  StatusHub* hub_;
  Clock* clock_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

// The InstanceStatus as JSON (protobuf's JSON mapping, lowerCamel names).
std::string StatusJson(const v1::InstanceStatus& status);

}  // namespace tusk::instance
