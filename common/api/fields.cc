#include "common/api/fields.h"

#include <set>

namespace tusk::api {

std::string FieldPath(const std::string& prefix, const char* pointer) {
  std::string out = prefix;
  for (const char* p = pointer; *p != '\0'; ++p) {
    if (*p == '/') {
      if (!out.empty()) out += '.';
    } else {
      out += *p;
    }
  }
  return out;
}

namespace {

// Our pointers are literals without "~" escapes: plain split on "/".
std::vector<std::string> Tokens(const char* pointer) {
  std::vector<std::string> out;
  for (const char* p = pointer; *p != '\0'; ++p) {
    if (*p == '/') {
      out.emplace_back();
    } else if (!out.empty()) {
      out.back() += *p;
    }
  }
  return out;
}

}  // namespace

const Json* FieldReader::Find(const char* pointer) const {
  const Json* node = &doc_;
  for (const auto& token : Tokens(pointer)) {  // walk by hand: no exceptions for absent paths
    if (!node->is_object()) return nullptr;
    auto it = node->find(token);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

bool FieldReader::Fail(const std::string& field, const Json& value, const char* type) {
  if (status_.ok()) {
    status_ = InvalidArgumentError(field + ": Invalid value: " + value.dump() + ": " + field +
                                   " must be of type " + type);
  }
  return false;
}

bool FieldReader::Convert(const Json& j, const std::string& field, std::string* out) {
  if (!j.is_string()) return Fail(field, j, "string");
  *out = j.get<std::string>();
  return true;
}

bool FieldReader::Convert(const Json& j, const std::string& field, int64_t* out) {
  if (!j.is_number_integer()) return Fail(field, j, "integer");
  *out = j.get<int64_t>();
  return true;
}

bool FieldReader::Convert(const Json& j, const std::string& field, bool* out) {
  if (!j.is_boolean()) return Fail(field, j, "boolean");
  *out = j.get<bool>();
  return true;
}

bool FieldReader::Convert(const Json& j, const std::string& field, std::map<std::string, std::string>* out) {
  if (!j.is_object()) return Fail(field, j, "object");
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) return Fail(field + "." + k, v, "string");
    (*out)[k] = v.get<std::string>();
  }
  return true;
}

bool FieldReader::Convert(const Json& j, const std::string& field, std::vector<std::string>* out) {
  if (!j.is_array()) return Fail(field, j, "array");
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_string()) return Fail(field + "[" + std::to_string(i) + "]", j[i], "string");
    out->push_back(j[i].get<std::string>());
  }
  return true;
}

bool FieldReader::Convert(const Json& j, const std::string& field,
                          std::map<std::string, std::vector<std::string>>* out) {
  if (!j.is_object()) return Fail(field, j, "object");
  for (const auto& [k, v] : j.items()) {
    std::vector<std::string> list;
    if (!Convert(v, field + "." + k, &list)) return false;
    (*out)[k] = std::move(list);
  }
  return true;
}

void FieldWriter::Erase(const char* pointer) {
  std::vector<std::string> tokens = Tokens(pointer);
  if (tokens.empty()) return;
  Json* node = &doc_;
  const std::string last = tokens.back();
  tokens.pop_back();
  for (const auto& token : tokens) {
    if (!node->is_object()) return;
    auto it = node->find(token);
    if (it == node->end()) return;
    node = &*it;
  }
  if (node->is_object()) node->erase(last);
}

void FieldErrors::Invalid(const std::string& field, const Json& value, const std::string& detail) {
  errors_.push_back({field, "Invalid value: " + value.dump() + ": " + detail});
}

void FieldErrors::Required(const std::string& field, const std::string& detail) {
  errors_.push_back({field, detail.empty() ? "Required value" : "Required value: " + detail});
}

void FieldErrors::NotSupported(const std::string& field, const std::string& value,
                               const std::vector<std::string>& allowed) {
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "\"" : ", \"") + a + "\"";
  errors_.push_back({field, "Unsupported value: " + Json(value).dump() + ": supported values: " + list});
}

void FieldErrors::Forbidden(const std::string& field, const std::string& detail) {
  errors_.push_back({field, "Forbidden: " + detail});
}

Status FieldErrors::ToStatus(const std::string& kind, const std::string& name) const {
  if (errors_.empty()) return OkStatus();
  std::string head = kind + " \"" + name + "\" is invalid: ";
  if (errors_.size() == 1) return InvalidArgumentError(head + errors_[0].ToString());
  std::set<std::string> seen;
  std::string body;
  for (const auto& e : errors_) {
    std::string s = e.ToString();
    if (!seen.insert(s).second) continue;
    body += (body.empty() ? "" : ", ") + s;
  }
  return InvalidArgumentError(head + "[" + body + "]");
}

}  // namespace tusk::api
