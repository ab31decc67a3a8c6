// A pod's volumes on the host: the directory each volume's files live in
// (emptyDir under the pod's directory, a PVC's bound directory, a projected
// Secret/ConfigMap/token directory kept current by atomic swaps). Containers
// bind-mount these directories at their mountPaths.
#pragma once

#include <sys/types.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/status.h"
#include "test/localkube/runtime/atomic_dir.h"
#include "test/localkube/runtime/object_source.h"
#include "test/localkube/runtime/pod_spec.h"

namespace tusk::localkube {

// The files a secret / configMap / projected / downwardAPI volume holds now.
// NotFound for a missing, non-optional source. A serviceAccountToken
// source asks `objects` for a token bound to the pod.
StatusOr<std::vector<ProjectedFile>> ProjectVolume(const nlohmann::json& volume, const PodSpec& pod,
                                                   ObjectSource& objects);

struct PreparedVolume {
  std::string host_path;
  bool projected = false;  // re-projected on Refresh, mounted read-only
};

class PodVolumes {
 public:
  // Creates or finds every volume's directory under `pod_dir`/volumes.
  static StatusOr<PodVolumes> Prepare(const std::string& pod_dir, const PodSpec& pod, ObjectSource& objects);

  // Rewrites projected volumes whose sources changed. Returns the names of
  // the volumes that changed.
  StatusOr<std::vector<std::string>> Refresh(const PodSpec& pod, ObjectSource& objects);

  const PreparedVolume* Find(const std::string& name) const;

 private:
  std::string pod_dir_;
  std::map<std::string, PreparedVolume> volumes_;
};

}  // namespace tusk::localkube
