// Label selectors as the API server understands them, in both of its forms:
// the query-string syntax "a=b,c!=d,e,!f,g in (x,y),h notin (z)" and a
// metav1.LabelSelector object ({matchLabels, matchExpressions}). Clients
// filter cached objects with them the way a server-side list would;
// localkube's API server lists with them. Field selectors share the grammar
// (without sets), so the requirement parser is exported too.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/status.h"

namespace tusk::k8s {

struct Requirement {
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };
  std::string key;
  Op op = Op::kEquals;
  std::vector<std::string> values;
};

// Comma-separated terms ("" is none). `allow_sets` adds label selectors'
// "in", "notin", "key" and "!key"; without it, only =, == and != (field
// selectors). Errors read as the API server's.
StatusOr<std::vector<Requirement>> ParseRequirements(const std::string& text, bool allow_sets);
// Whether `value` (absent: nullopt) satisfies `r`.
bool RequirementMatches(const Requirement& r, const std::optional<std::string>& value);

class LabelSelector {
 public:
  static StatusOr<LabelSelector> Parse(const std::string& text);
  static StatusOr<LabelSelector> FromObject(const nlohmann::json& selector);
  bool Matches(const std::map<std::string, std::string>& labels) const;
  bool Matches(const nlohmann::json& labels) const;  // an object, or null
  bool empty() const { return reqs_.empty(); }

 private:
  std::vector<Requirement> reqs_;
};

}  // namespace tusk::k8s
