// YAML documents (kubeconfig files) read into JSON values, so the rest of the
// client handles one document model. Plain scalars become bools, integers and
// nulls the YAML 1.1 way; quoted scalars stay strings.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "common/base/status.h"

namespace tusk::k8s {

StatusOr<nlohmann::json> YamlToJson(const std::string& text);

}  // namespace tusk::k8s
