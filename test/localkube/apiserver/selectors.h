// Label and field selectors as Kubernetes parses them ("a=b,c!=d,e in (f,g),
// !h"), and the field values each resource exposes to field selectors.
// Pure: parsing returns an error string, matching never fails.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tusk::localkube {

using json = nlohmann::json;

struct Requirement {
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };
  std::string key;
  Op op = Op::kEquals;
  std::vector<std::string> values;
};

class LabelSelector {
 public:
  // Parses the query-string syntax; error text on failure.
  static std::optional<LabelSelector> Parse(const std::string& text, std::string* error);
  // From a metav1.LabelSelector object ({matchLabels, matchExpressions}).
  static std::optional<LabelSelector> FromObject(const json& selector, std::string* error);
  bool Matches(const json& labels) const;  // labels: object or null
  bool empty() const { return reqs_.empty(); }

 private:
  std::vector<Requirement> reqs_;
};

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
