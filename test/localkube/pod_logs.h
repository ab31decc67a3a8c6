// GET pods/<name>/log, as the kubelet answers it behind kube-apiserver:
// the container is chosen the way kubectl expects (the only one, or the one
// named; errors name the choices), the output of its current or previous run
// is read from the file the kubelet writes, tailLines / limitBytes apply, and
// with follow=true new output streams until that run ends, the pod goes
// away, the client hangs up or localkube stops.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/base/status.h"

namespace tusk::localkube {

// The container a log request means, or the 400 message Kubernetes gives.
StatusOr<std::string> ChooseLogContainer(const nlohmann::json& pod, const std::string& requested);

// The last `n` lines of `text` (a final line without newline counts).
std::string_view TailLines(std::string_view text, int64_t n);

// Whether the container's current run is still going by the pod's status
// ("running", or "waiting" before its first start).
bool ContainerRunActive(const nlohmann::json& pod, const std::string& container);

struct PodLogSource {
  // The file holding a container's output (kubelet's LogPath).
  std::function<StatusOr<std::string>(const std::string& ns, const std::string& pod, const std::string& container,
                                      bool previous)>
      log_path;
  // The pod as stored now; NotFound once deleted.
  std::function<StatusOr<nlohmann::json>(const std::string& ns, const std::string& pod)> get_pod;
  const std::atomic<bool>* stopping = nullptr;
};

void ServePodLog(const PodLogSource& source, const nlohmann::json& pod, const httplib::Request& req,
                 httplib::Response& res);

}  // namespace tusk::localkube
