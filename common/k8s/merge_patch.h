// JSON merge patches (RFC 7386): apply one, or compute the smallest one that
// turns one document into another — what a controller sends to change only
// the fields it owns.
#pragma once

#include <nlohmann/json.hpp>

namespace tusk::k8s {

void ApplyMergePatch(nlohmann::json& target, const nlohmann::json& patch);
// A patch p with ApplyMergePatch(from, p) == to (arrays are replaced whole).
nlohmann::json CreateMergePatch(const nlohmann::json& from, const nlohmann::json& to);

}  // namespace tusk::k8s
