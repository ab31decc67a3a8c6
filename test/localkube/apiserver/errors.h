// Kubernetes API errors as values: an ApiError is exactly what the server
// answers (a metav1.Status), so the in-process API and the HTTP layer report
// failures the same way kubectl and client libraries expect.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace tusk::localkube {

using json = nlohmann::json;

struct FieldError {
  std::string reason;  // FieldValueInvalid, FieldValueRequired, ...
  std::string field;   // spec.replicas
  std::string message; // body without the field prefix
};

struct ApiError {
  int code = 500;
  std::string reason;   // NotFound, Conflict, ...
  std::string message;
  json details = json::object();
  json list_meta = json::object();  // Status.metadata (continue tokens on 410)

  json ToStatus() const;
};

// A value or the ApiError explaining why there is none.
template <typename T>
class ApiOr {
 public:
  ApiOr(ApiError e) : v_(std::move(e)) {}  // NOLINT
  ApiOr(T value) : v_(std::move(value)) {}  // NOLINT
  bool ok() const { return v_.index() == 1; }
  const ApiError& error() const { return std::get<0>(v_); }
  T& value() { return std::get<1>(v_); }
  const T& value() const { return std::get<1>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<ApiError, T> v_;
};

// "<resource>" for core, "<resource>.<group>" otherwise.
std::string GroupResource(const std::string& group, const std::string& resource);

ApiError NotFound(const std::string& group, const std::string& resource, const std::string& name);
ApiError AlreadyExists(const std::string& group, const std::string& resource, const std::string& name);
ApiError Conflict(const std::string& group, const std::string& resource, const std::string& name,
                  const std::string& why);
ApiError OptimisticLockConflict(const std::string& group, const std::string& resource,
                                const std::string& name);
// kind is the Kind ("Pod"), group_kind "Pod" or "Widget.example.com".
ApiError Invalid(const std::string& group, const std::string& kind, const std::string& name,
                 const std::vector<FieldError>& errors);
ApiError Forbidden(const std::string& group, const std::string& resource, const std::string& name,
                   const std::string& why);
ApiError Unauthorized();
ApiError BadRequest(const std::string& message);
ApiError MethodNotAllowed(const std::string& action, const std::string& group, const std::string& resource);
ApiError Expired(const std::string& message);
ApiError UnsupportedMediaType(const std::vector<std::string>& accepted);
ApiError TooLarge(const std::string& message);
ApiError InternalErr(const std::string& message);
ApiError ResourceNotFound();  // unknown resource: "the server could not find the requested resource"

// Renders one field error as "<field>: <body>".
std::string FieldErrorText(const FieldError& e);
// Helpers building field errors with Kubernetes' wording.
FieldError RequiredField(const std::string& field, const std::string& detail = "");
FieldError InvalidField(const std::string& field, const json& value, const std::string& detail);
FieldError ForbiddenField(const std::string& field, const std::string& detail);
FieldError NotSupportedField(const std::string& field, const json& value, const std::vector<std::string>& supported);
FieldError TooLongField(const std::string& field, size_t max);
FieldError TooManyField(const std::string& field, size_t actual, size_t max);
FieldError TypeInvalidField(const std::string& field, const json& value, const std::string& detail);

// Go-style value rendering: strings quoted, numbers/bools bare, null.
std::string GoValue(const json& value);

}  // namespace tusk::localkube
