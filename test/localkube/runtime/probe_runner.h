// Running one probe against a live container: httpGet and tcpSocket over the
// pod network (as a node's kubelet does, so a partitioned pod fails them),
// exec inside the container's namespaces as the container's user.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "test/localkube/runtime/pod_spec.h"

namespace tusk::localkube {

struct ProbeTarget {
  std::string pod_ip;
  pid_t pid = -1;  // the container's PID 1, as the host sees it
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<std::string> env;  // KEY=VALUE, for exec probes
};

class ProbeRunner {
 public:
  virtual ~ProbeRunner() = default;
  // True when the probe succeeds within its timeout.
  virtual bool Run(const ProbeSpec& probe, const ContainerSpec& container, const ProbeTarget& target) = 0;
};

class RealProbeRunner final : public ProbeRunner {
 public:
  bool Run(const ProbeSpec& probe, const ContainerSpec& container, const ProbeTarget& target) override;
};

// True when a TCP connection to ip:port opens within `timeout_ms`.
bool TcpConnects(const std::string& ip, int port, int timeout_ms);

}  // namespace tusk::localkube
