// localkube's control channel: the `fault` commands reach the running
// daemon over the unix socket DIR/control.sock (mode 0600, so only the
// owner of DIR can inject faults). One JSON request and one JSON answer per
// connection; the answer is {"ok":true,...} or {"error":"..."}.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "common/base/clock.h"
#include "common/base/status.h"

namespace tusk::localkube {

class ControlServer {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;
  // Replaces a stale socket file at `path` and serves until destroyed.
  static StatusOr<std::unique_ptr<ControlServer>> Listen(const std::string& path, Handler handler);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

 private:
  ControlServer(std::string path, int listen_fd, int stop_fd, Handler handler);
  void Serve();
  void Answer(int fd);

  std::string path_;
  int listen_fd_;
  int stop_fd_;  // eventfd: wakes the accept loop for shutdown
  Handler handler_;
  std::thread thread_;
};

// Sends one request and returns the answer. Unavailable when nothing
// listens at `path` (localkube is not running there).
StatusOr<nlohmann::json> ControlCall(const std::string& path, const nlohmann::json& request, Duration timeout);

}  // namespace tusk::localkube
