#include "test/localkube/apiserver/errors.h"

#include <set>

namespace tusk::localkube {

std::string GroupResource(const std::string& group, const std::string& resource) {
  return group.empty() ? resource : resource + "." + group;
}

json ApiError::ToStatus() const {
  json s = {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", list_meta}, {"status", "Failure"},
            {"message", message}, {"code", code}};
  if (!reason.empty()) s["reason"] = reason;
  if (!details.empty()) s["details"] = details;
  return s;
}

namespace {
ApiError Make(int code, std::string reason, std::string message, const std::string& group = "",
              const std::string& kind = "", const std::string& name = "") {
  ApiError e{code, std::move(reason), std::move(message)};
  if (!name.empty()) e.details["name"] = name;
  if (!group.empty()) e.details["group"] = group;
  if (!kind.empty()) e.details["kind"] = kind;
  return e;
}
}  // namespace

std::string GoValue(const json& value) {
  if (value.is_null()) return "null";
  if (value.is_string()) return json(value.get<std::string>()).dump();
  if (value.is_object()) return "\"object\"";
  if (value.is_array()) return "\"array\"";
  return value.dump();
}

ApiError NotFound(const std::string& group, const std::string& resource, const std::string& name) {
  return Make(404, "NotFound", GroupResource(group, resource) + " \"" + name + "\" not found", group, resource,
              name);
}

ApiError AlreadyExists(const std::string& group, const std::string& resource, const std::string& name) {
  return Make(409, "AlreadyExists", GroupResource(group, resource) + " \"" + name + "\" already exists", group,
              resource, name);
}

ApiError Conflict(const std::string& group, const std::string& resource, const std::string& name,
                  const std::string& why) {
  return Make(409, "Conflict",
              "Operation cannot be fulfilled on " + GroupResource(group, resource) + " \"" + name + "\": " + why,
              group, resource, name);
}

ApiError OptimisticLockConflict(const std::string& group, const std::string& resource, const std::string& name) {
  return Conflict(group, resource, name,
                  "the object has been modified; please apply your changes to the latest version and try again");
}

std::string FieldErrorText(const FieldError& e) { return e.field + ": " + e.message; }

ApiError Invalid(const std::string& group, const std::string& kind, const std::string& name,
                 const std::vector<FieldError>& errors) {
  std::string gk = group.empty() ? kind : kind + "." + group;
  std::string msg = gk + " \"" + name + "\" is invalid";
  std::vector<std::string> texts;
  std::set<std::string> seen;
  for (const auto& fe : errors) {
    auto t = FieldErrorText(fe);
    if (seen.insert(t).second) texts.push_back(t);
  }
  if (texts.size() == 1) {
    msg += ": " + texts[0];
  } else if (!texts.empty()) {
    msg += ": [";
    for (size_t i = 0; i < texts.size(); ++i) msg += (i ? ", " : "") + texts[i];
    msg += "]";
  }
  ApiError e = Make(422, "Invalid", msg, group, kind, name);
  json causes = json::array();
  for (const auto& fe : errors) causes.push_back({{"reason", fe.reason}, {"message", fe.message}, {"field", fe.field}});
  if (!causes.empty()) e.details["causes"] = causes;
  return e;
}

ApiError Forbidden(const std::string& group, const std::string& resource, const std::string& name,
                   const std::string& why) {
  std::string prefix;
  if (resource.empty()) {
    prefix = "forbidden: ";
  } else if (name.empty()) {
    prefix = GroupResource(group, resource) + " is forbidden: ";
  } else {
    prefix = GroupResource(group, resource) + " \"" + name + "\" is forbidden: ";
  }
  return Make(403, "Forbidden", prefix + why, group, resource, name);
}

ApiError Unauthorized() { return Make(401, "Unauthorized", "Unauthorized"); }
ApiError BadRequest(const std::string& message) { return Make(400, "BadRequest", message); }

ApiError MethodNotAllowed(const std::string& action, const std::string& group, const std::string& resource) {
  return Make(405, "MethodNotAllowed",
              action + " is not supported on resources of kind \"" + GroupResource(group, resource) + "\"", group,
              resource);
}

ApiError Expired(const std::string& message) { return Make(410, "Expired", message); }

ApiError UnsupportedMediaType(const std::vector<std::string>& accepted) {
  std::string list;
  for (size_t i = 0; i < accepted.size(); ++i) list += (i ? ", " : "") + accepted[i];
  return Make(415, "UnsupportedMediaType",
              "the body of the request was in an unknown format - accepted media types include: " + list);
}

ApiError TooLarge(const std::string& message) {
  return Make(413, "RequestEntityTooLarge", "Request entity too large: " + message);
}

ApiError InternalErr(const std::string& message) {
  ApiError e = Make(500, "InternalError", "Internal error occurred: " + message);
  e.details["causes"] = json::array({{{"message", message}}});
  return e;
}

ApiError ResourceNotFound() { return Make(404, "NotFound", "the server could not find the requested resource"); }

FieldError RequiredField(const std::string& field, const std::string& detail) {
  return {"FieldValueRequired", field, detail.empty() ? "Required value" : "Required value: " + detail};
}
FieldError InvalidField(const std::string& field, const json& value, const std::string& detail) {
  std::string m = "Invalid value: " + GoValue(value);
  if (!detail.empty()) m += ": " + detail;
  return {"FieldValueInvalid", field, m};
}
FieldError ForbiddenField(const std::string& field, const std::string& detail) {
  return {"FieldValueForbidden", field, detail.empty() ? "Forbidden" : "Forbidden: " + detail};
}
FieldError NotSupportedField(const std::string& field, const json& value, const std::vector<std::string>& supported) {
  std::string m = "Unsupported value: " + GoValue(value);
  if (!supported.empty()) {
    m += ": supported values: ";
    for (size_t i = 0; i < supported.size(); ++i) m += (i ? ", " : "") + supported[i];
  }
  return {"FieldValueNotSupported", field, m};
}
FieldError TooLongField(const std::string& field, size_t max) {
  return {"FieldValueTooLong", field, "Too long: may not be more than " + std::to_string(max) + " bytes"};
}
FieldError TooManyField(const std::string& field, size_t actual, size_t max) {
  return {"FieldValueTooMany", field,
          "Too many: " + std::to_string(actual) + ": must have at most " + std::to_string(max) + " items"};
}
FieldError TypeInvalidField(const std::string& field, const json& value, const std::string& detail) {
  return {"FieldValueTypeInvalid", field, "Invalid value: " + GoValue(value) + ": " + detail};
}

}  // namespace tusk::localkube
