// The four ways a Kubernetes object is patched: JSON merge patch (RFC 7386),
// JSON patch (RFC 6902), strategic merge patch (lists merged by the built-in
// kinds' merge keys) and a simplified server-side apply that tracks which
// manager applied which fields. Pure functions over JSON.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tusk::localkube {

using json = nlohmann::json;

json ApplyMergePatch(const json& target, const json& patch);
// Error text (and no value) when an operation fails or the patch is malformed.
std::optional<json> ApplyJsonPatch(const json& target, const json& patch, std::string* error);
// Strategic merge patch with the merge keys of the built-in kinds.
std::optional<json> ApplyStrategicMergePatch(const json& target, const json& patch, std::string* error);

// Merge key of the list stored under `field` (e.g. "containers" -> "name"),
// looking at the items to tell container ports from service ports; "" when
// the list is replaced wholesale.
std::string MergeKeyFor(const std::string& field, const json& items);

struct ApplyResult {
  json object;
  std::vector<std::string> conflicts;  // "conflict with \"mgr\": .spec.replicas"
};
// Server-side apply of `config` by `manager` onto `live` (null when absent).
// Fields the manager applied before and no longer applies are removed unless
// another manager also owns them. Conflicts are fields another Apply manager
// owns with a different value; with `force` the manager takes them over.
ApplyResult ServerSideApply(const json& live, const json& config, const std::string& manager, bool force,
                            const std::string& now);

// The fieldsV1 tree ({"f:spec":{"f:replicas":{}}}) of the fields set in `value`.
json FieldsV1Of(const json& value);

}  // namespace tusk::localkube
