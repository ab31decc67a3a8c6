// Typed views over Kubernetes JSON objects that keep every field they do not
// model: a type lists its fields once (Visit), FieldReader fills the struct
// from JSON and FieldWriter writes it back over the original document, so a
// read-modify-write never drops what a newer CRD or another client added.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/status.h"

namespace tusk::api {

using Json = nlohmann::json;

// "/spec/storage/size" -> "spec.storage.size" (the way Kubernetes names fields).
std::string FieldPath(const std::string& prefix, const char* pointer);

template <typename T, typename = void>
struct HasVisit : std::false_type {};

class FieldReader;
template <typename T>
struct HasVisit<T, std::void_t<decltype(T::Visit(std::declval<FieldReader&>(), std::declval<T&>()))>>
    : std::true_type {};

class FieldReader {
 public:
  explicit FieldReader(const Json& doc, std::string prefix = "") : doc_(doc), prefix_(std::move(prefix)) {}

  template <typename T>
  void operator()(const char* pointer, std::optional<T>& out) {
    out.reset();
    const Json* node = Find(pointer);
    if (node == nullptr || node->is_null()) return;
    T value{};
    if (Convert(*node, FieldPath(prefix_, pointer), &value)) out = std::move(value);
  }

  // The first type error met, naming the field.
  const Status& status() const { return status_; }

 private:
  const Json* Find(const char* pointer) const;
  bool Fail(const std::string& field, const Json& value, const char* type);

  bool Convert(const Json& j, const std::string& field, std::string* out);
  bool Convert(const Json& j, const std::string& field, int64_t* out);
  bool Convert(const Json& j, const std::string& field, bool* out);
  bool Convert(const Json& j, const std::string& field, std::map<std::string, std::string>* out);
  bool Convert(const Json& j, const std::string& field, std::vector<std::string>* out);
  bool Convert(const Json& j, const std::string& field, std::map<std::string, std::vector<std::string>>* out);
  // Raw passthrough: embedded Kubernetes types (affinity, resources, ...)
  // that Tusk copies into the objects it builds without interpreting them.
  bool Convert(const Json& j, const std::string&, Json* out) {
    *out = j;
    return true;
  }
  template <typename S, typename = std::enable_if_t<HasVisit<S>::value>>
  bool Convert(const Json& j, const std::string& field, S* out) {
    if (!j.is_object()) return Fail(field, j, "object");
    FieldReader sub(j, field);
    S::Visit(sub, *out);
    if (!sub.status().ok()) {
      if (status_.ok()) status_ = sub.status();
      return false;
    }
    return true;
  }
  template <typename S, typename = std::enable_if_t<HasVisit<S>::value>>
  bool Convert(const Json& j, const std::string& field, std::vector<S>* out) {
    if (!j.is_array()) return Fail(field, j, "array");
    for (size_t i = 0; i < j.size(); ++i) {
      S item{};
      if (!Convert(j[i], field + "[" + std::to_string(i) + "]", &item)) return false;
      out->push_back(std::move(item));
    }
    return true;
  }
  template <typename S, typename = std::enable_if_t<HasVisit<S>::value>>
  bool Convert(const Json& j, const std::string& field, std::map<std::string, S>* out) {
    if (!j.is_object()) return Fail(field, j, "object");
    for (const auto& [k, v] : j.items()) {
      S item{};
      if (!Convert(v, field + "." + k, &item)) return false;
      (*out)[k] = std::move(item);
    }
    return true;
  }

  const Json& doc_;
  std::string prefix_;
  Status status_;
};

class FieldWriter {
 public:
  explicit FieldWriter(Json& doc) : doc_(doc) {}

  // Sets the field, or removes it when the value is unset.
  template <typename T>
  void operator()(const char* pointer, const std::optional<T>& value) {
    if (!value.has_value()) {
      Erase(pointer);
      return;
    }
    Json& slot = doc_[Json::json_pointer(pointer)];
    Assign(slot, *value);
  }

 private:
  void Erase(const char* pointer);
  template <typename T, std::enable_if_t<!HasVisit<T>::value, int> = 0>
  static void Assign(Json& slot, const T& value) {
    slot = value;
  }
  template <typename S, std::enable_if_t<HasVisit<S>::value, int> = 0>
  static void Assign(Json& slot, const S& value) {
    if (!slot.is_object()) slot = Json::object();
    FieldWriter sub(slot);
    S::Visit(sub, value);
  }
  template <typename S, typename = std::enable_if_t<HasVisit<S>::value>>
  static void Assign(Json& slot, const std::map<std::string, S>& items) {
    // Keyed, so unknown fields of each entry survive under its key.
    Json out = Json::object();
    for (const auto& [k, v] : items) {
      Json elem = (slot.is_object() && slot.contains(k) && slot[k].is_object()) ? slot[k] : Json::object();
      Assign(elem, v);
      out[k] = std::move(elem);
    }
    slot = std::move(out);
  }
  template <typename S, typename = std::enable_if_t<HasVisit<S>::value>>
  static void Assign(Json& slot, const std::vector<S>& items) {
    // Element-wise over the original array, so unknown fields of each item
    // survive as long as the item keeps its position.
    Json out = Json::array();
    for (size_t i = 0; i < items.size(); ++i) {
      Json elem = (slot.is_array() && i < slot.size() && slot[i].is_object()) ? slot[i] : Json::object();
      Assign(elem, items[i]);
      out.push_back(std::move(elem));
    }
    slot = std::move(out);
  }

  Json& doc_;
};

// One validation failure, rendered as the API server renders field errors:
// "spec.instances: Invalid value: 0: must be greater than or equal to 1".
struct FieldError {
  std::string field;
  std::string message;
  std::string ToString() const { return field + ": " + message; }
};

class FieldErrors {
 public:
  void Invalid(const std::string& field, const Json& value, const std::string& detail);
  void Required(const std::string& field, const std::string& detail = "");
  void NotSupported(const std::string& field, const std::string& value, const std::vector<std::string>& allowed);
  void Forbidden(const std::string& field, const std::string& detail);

  bool empty() const { return errors_.empty(); }
  const std::vector<FieldError>& errors() const { return errors_; }
  // OK, or InvalidArgument `<Kind> "<name>" is invalid: e1` / `[e1, e2]`.
  Status ToStatus(const std::string& kind, const std::string& name) const;

 private:
  std::vector<FieldError> errors_;
};

}  // namespace tusk::api
