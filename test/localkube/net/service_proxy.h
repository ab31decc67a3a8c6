// The userspace L4 proxy behind ClusterIPs. It listens on each Service's
// ClusterIP:port inside localkube's network namespace and relays every new
// TCP connection to one of the Service's ready endpoints, picked at random. An
// endpoint change applies to the next accepted connection; connections
// already relayed keep their backend, as with kube-proxy.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>  // before Asio: Boost 1.74 uses std::exchange without it

#include <boost/asio.hpp>

#include "common/base/status.h"
#include "test/localkube/net/service_routes.h"

namespace tusk::localkube::net {

class ServiceProxy {
 public:
  // `netns_path`: the namespace the ClusterIPs are local addresses of.
  explicit ServiceProxy(std::string netns_path);
  ~ServiceProxy();
  ServiceProxy(const ServiceProxy&) = delete;
  ServiceProxy& operator=(const ServiceProxy&) = delete;

  // Listens on every port of the route and replaces its backends. Ports the
  // Service no longer has stop listening. Headless routes are ignored.
  Status Apply(const ServiceRoute& route);
  void Remove(const std::string& key);

  struct Listener;

 private:
  void StopListener(const std::shared_ptr<Listener>& l);

  std::string netns_path_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::thread thread_;
  std::mutex mu_;
  // service key -> port -> listener
  std::map<std::string, std::map<int, std::shared_ptr<Listener>>> listeners_;
  std::map<std::string, std::string> cluster_ips_;
};

}  // namespace tusk::localkube::net
