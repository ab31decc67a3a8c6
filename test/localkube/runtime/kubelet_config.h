// How one localkube kubelet is set up: where pod state lives, which image
// table it reads, and what in-cluster clients are told about the API server.
#pragma once

#include <chrono>
#include <string>

#include "common/base/clock.h"

namespace tusk::localkube {

struct KubeletConfig {
  std::string state_dir;  // pods live under <state_dir>/pods/<uid>
  std::string node_name = "localkube-node-1";
  std::string host_ip;  // status.hostIP
  std::string image_table_path;
  std::string build_dir;  // ${BUILD} in the image table
  // In-cluster clients find the API server through these.
  std::string kubernetes_service_host;
  int kubernetes_service_port = 443;
  Duration volume_refresh = std::chrono::seconds(1);
};

}  // namespace tusk::localkube
