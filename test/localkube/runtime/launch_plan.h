// From a pod's container to what LaunchContainer needs: the image's
// programs (read from the image table on every start, so a fixed entry takes
// effect as a registry coming back would), the variables a kubelet adds, the
// resolved argv and env, the pod's /etc files and its volume binds.
#pragma once

#include <string>

#include "common/base/status.h"
#include "test/localkube/runtime/container_launch.h"
#include "test/localkube/runtime/env.h"
#include "test/localkube/runtime/image_table.h"
#include "test/localkube/runtime/kubelet_config.h"
#include "test/localkube/runtime/pod_spec.h"
#include "test/localkube/runtime/volumes.h"

namespace tusk::localkube {

// The image's table entry, checked to exist on this host. NotFound carries
// the ErrImagePull message, naming the image.
StatusOr<ImageEntry> LoadImage(const KubeletConfig& config, const std::string& image);

// PATH, HOSTNAME, HOME and the KUBERNETES_SERVICE_* variables.
EnvList KubeletEnv(const PodSpec& pod, const ContainerSpec& container, const ImageEntry& image,
                   const KubeletConfig& config);

struct LaunchPlace {
  std::string pod_dir;
  std::string netns_path;
  int run = 0;  // restartCount: names the log file
};

// The launch spec; an error (a mount of an undefined volume) is a
// CreateContainerConfigError message.
StatusOr<LaunchSpec> PlanLaunch(const PodSpec& pod, const ContainerSpec& container, const ImageEntry& image,
                                const EnvList& env, const PodVolumes* volumes, const LaunchPlace& place);

}  // namespace tusk::localkube
