// A loopback TCP relay that a test can cut and restore, to take the API
// server away from a client (as a network partition does) without stopping
// the server: while cut, open connections are closed and new ones refused.
#pragma once

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/base/status.h"

namespace tusk::k8s::testing {

class TcpProxy {
 public:
  // Listens on 127.0.0.1 (ephemeral port), relaying to 127.0.0.1:`target_port`.
  static StatusOr<std::unique_ptr<TcpProxy>> Start(int target_port);
  ~TcpProxy();

  int port() const { return port_; }
  void Cut();
  void Restore();

 private:
  TcpProxy() = default;
  void AcceptLoop();
  void Relay(int client);
  void Track(int fd, bool add);

  int listen_fd_ = -1;
  int port_ = 0;
  int target_port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> cut_{false};
  std::mutex mu_;
  std::set<int> open_fds_;
  std::thread accept_thread_;
  std::vector<std::thread> relays_;
};

}  // namespace tusk::k8s::testing
