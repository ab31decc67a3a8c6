// An HTTP server on 127.0.0.1 for unit tests of the client: handlers return
// canned Kubernetes responses; the server stops when the object goes away.
#pragma once

#include <httplib.h>

#include <chrono>
#include <string>
#include <thread>

namespace tusk::k8s::testing {

class TestServer {
 public:
  TestServer() = default;
  ~TestServer() { Stop(); }

  httplib::Server& server() { return server_; }

  // Binds an ephemeral loopback port and serves in a background thread.
  void Start(int port = 0) {
    if (port == 0) {
      port_ = server_.bind_to_any_port("127.0.0.1");
    } else {
      port_ = server_.bind_to_port("127.0.0.1", port) ? port : -1;
    }
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // Bounded wait for the accept loop.
    for (int i = 0; i < 2000 && !server_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void Stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace tusk::k8s::testing
