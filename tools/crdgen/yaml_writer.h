// JSON values written as block-style YAML, the way Kubernetes manifests are
// usually read: deterministic (keys sorted), strings quoted whenever a YAML
// 1.1 reader (kubectl, PyYAML, libyaml) could take them for anything else.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tusk::crdgen {

// One document, without the leading "---".
std::string ToYaml(const nlohmann::json& value);
// Several documents, each introduced by "---".
std::string ToYamlStream(const std::vector<nlohmann::json>& documents);

}  // namespace tusk::crdgen
