// Field selectors as Kubernetes parses them ("spec.nodeName=n1,status.phase!=
// Failed"), and the field values each resource exposes to them. Label
// selectors are common/k8s's, shared with the clients.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/k8s/labels.h"

namespace tusk::localkube {

using json = nlohmann::json;

using k8s::LabelSelector;
using k8s::Requirement;

class FieldSelector {
 public:
  static std::optional<FieldSelector> Parse(const std::string& text, std::string* error);
  // Fields the selector names that `supported` lacks; first one, or "".
  std::string Unsupported(const std::vector<std::string>& supported) const;
  bool Matches(const std::map<std::string, std::string>& fields) const;
  bool empty() const { return reqs_.empty(); }
  // The value required for `key` by an "=" term, if any (e.g. metadata.name).
  std::optional<std::string> RequiredValue(const std::string& key) const;

 private:
  std::vector<Requirement> reqs_;
};

// Field names a resource supports in field selectors ("pods", "events", ...;
// the group-qualified resource name).
std::vector<std::string> SupportedFields(const std::string& group_resource, bool namespaced);
// Values of those fields for `obj`.
std::map<std::string, std::string> FieldValues(const std::string& group_resource, const json& obj);

}  // namespace tusk::localkube
