// The documents clients read to learn what the server serves: /version,
// legacy discovery (/api, /apis, per group-version resource lists) and the
// OpenAPI v3 index and per-group-version documents kubectl consults before
// it validates or patches. Built from the Registry on each request.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "test/localkube/apiserver/registry.h"

namespace tusk::localkube {

using json = nlohmann::json;

json VersionInfo();
json ApiVersions(const std::string& server_address);
json ApiGroupList(const Registry& reg);
// nullopt-like: a null json when the group is not served.
json ApiGroup(const Registry& reg, const std::string& group);
json ApiResourceList(const Registry& reg, const std::string& group, const std::string& version);

json OpenApiV3Index(const Registry& reg);
// "api/v1" or "apis/<g>/<v>"; null when not served.
json OpenApiV3Document(const Registry& reg, const std::string& gv_path);

}  // namespace tusk::localkube
