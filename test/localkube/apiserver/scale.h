// The scale subresource (autoscaling/v1 Scale) as kube-apiserver serves it:
// for a custom resource the replica counts and selector live where its CRD's
// specReplicasPath, statusReplicasPath and labelSelectorPath say; for the
// built-in workloads at spec.replicas, status.replicas and spec.selector.
// Reading a Scale from an object and writing one back are pure.
#pragma once

#include <string>

#include "test/localkube/apiserver/errors.h"
#include "test/localkube/apiserver/registry.h"

namespace tusk::localkube {

struct ScalePaths {
  std::string spec_replicas = ".spec.replicas";
  std::string status_replicas = ".status.replicas";
  std::string label_selector;      // a string field; empty: none
  bool selector_from_spec = false;  // built-ins: spec.selector.matchLabels
};

ScalePaths ScalePathsOf(const ResourceInfo& r);
json ScaleOf(const json& object, const ScalePaths& paths);
// `object` with the replicas `scale` asks for, or why the Scale is refused.
ApiOr<json> ApplyScale(json object, const json& scale, const ScalePaths& paths);

}  // namespace tusk::localkube
