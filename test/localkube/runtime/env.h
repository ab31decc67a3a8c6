// A container's environment and argv as the kubelet computes them: literal
// values, valueFrom (fieldRef, secretKeyRef, configMapKeyRef), envFrom, and
// $(VAR) expansion in values, command and args.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/base/status.h"
#include "test/localkube/runtime/object_source.h"
#include "test/localkube/runtime/pod_spec.h"

namespace tusk::localkube {

using EnvList = std::vector<std::pair<std::string, std::string>>;

// Facts about the running pod a fieldRef can read.
struct PodRuntimeFacts {
  std::string pod_ip;
  std::string host_ip;
};

// The value a downward-API fieldPath names, e.g. "metadata.name",
// "status.podIP", "metadata.labels['app']".
StatusOr<std::string> FieldRefValue(const PodSpec& pod, const PodRuntimeFacts& facts, const std::string& field_path);

// The container's environment in order: `base` (PATH, the KUBERNETES_SERVICE_*
// variables), then envFrom, then env; later names replace earlier ones. A
// missing, non-optional Secret/ConfigMap or key is an error whose message
// becomes the CreateContainerConfigError status.
StatusOr<EnvList> ResolveEnv(const PodSpec& pod, const ContainerSpec& container, const PodRuntimeFacts& facts,
                             ObjectSource& objects, const EnvList& base);

// Kubernetes' $(VAR) expansion: $(NAME) becomes the value of NAME when known
// and stays as written otherwise; $$ escapes a dollar.
std::string ExpandVars(const std::string& text, const EnvList& env);

// command + args after expansion (the image has no entrypoint of its own, so
// an empty command takes args as the whole argv).
std::vector<std::string> ContainerArgv(const ContainerSpec& container, const EnvList& env);

}  // namespace tusk::localkube
