// Server-side printing: the meta.k8s.io/v1 Table kubectl asks for, with the
// columns Kubernetes prints for the built-in kinds, a CRD's
// additionalPrinterColumns (JSONPath cells), and human-readable ages. Pure.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test/localkube/apiserver/registry.h"

namespace tusk::localkube {

using json = nlohmann::json;

// Kubernetes' HumanDuration ("5s", "3m20s", "2d3h", ...).
std::string HumanDuration(std::chrono::seconds d);
// Age of an RFC3339 timestamp relative to `now` ("<unknown>" when empty).
std::string AgeOf(const std::string& timestamp, std::chrono::system_clock::time_point now);

// A minimal JSONPath: ".a.b", "[0]", "[*]", "[?(@.k==\"v\")]"; null when absent.
json EvalJsonPath(const json& obj, const std::string& path);

// include: "None", "Metadata" or "Object".
json BuildTable(const ResourceInfo& r, const std::string& version, const std::vector<json>& objects,
                const std::string& include, std::chrono::system_clock::time_point now);

// The Pod STATUS column (kubectl's printPod).
std::string PodStatusColumn(const json& pod);

}  // namespace tusk::localkube
