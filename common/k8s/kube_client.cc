#include "common/k8s/kube_client.h"

#include "common/k8s/json_scan.h"

namespace tusk::k8s {

ResourceRef ResourceRef::InNamespace(std::string ns) const {
  ResourceRef r = *this;
  r.namespace_ = std::move(ns);
  return r;
}

ResourceRef ResourceRef::Named(std::string n) const {
  ResourceRef r = *this;
  r.name = std::move(n);
  return r;
}

ResourceRef ResourceRef::Status() const {
  ResourceRef r = *this;
  r.subresource = "status";
  return r;
}

std::string ResourceRef::Path() const {
  std::string p = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (!namespace_.empty()) p += "/namespaces/" + namespace_;
  p += "/" + resource;
  if (!name.empty()) p += "/" + name;
  if (!subresource.empty() && !name.empty()) p += "/" + subresource;
  return p;
}

std::string ResourceRef::GroupResource() const { return group.empty() ? resource : resource + "." + group; }

ResourceRef PodsResource() { return {"", "v1", "pods", "", "", ""}; }
ResourceRef LeasesResource() { return {"coordination.k8s.io", "v1", "leases", "", "", ""}; }
ResourceRef EventsResource() { return {"", "v1", "events", "", "", ""}; }
ResourceRef ConfigMapsResource() { return {"", "v1", "configmaps", "", "", ""}; }
ResourceRef SecretsResource() { return {"", "v1", "secrets", "", "", ""}; }
ResourceRef CnpgResource(const std::string& plural) { return {"postgresql.cnpg.io", "v1", plural, "", "", ""}; }

void WatchCanceller::Cancel() {
  cancelled_.store(true);
  std::function<void()> hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hook = hook_;
  }
  if (hook) hook();
}

void WatchCanceller::SetHook(std::function<void()> hook) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    hook_ = hook;
  }
  if (hook && cancelled_.load()) hook();
}

namespace {

Status FromReason(const std::string& reason, int code, const std::string& message) {
  if (reason == "NotFound") return NotFoundError(message);
  if (reason == "AlreadyExists") return AlreadyExistsError(message);
  if (reason == "Conflict") return ConflictError(message);
  if (reason == "Forbidden") return PermissionDeniedError(message);
  if (reason == "Unauthorized") return UnauthenticatedError(message);
  if (reason == "Invalid" || reason == "BadRequest") return InvalidArgumentError(message);
  if (reason == "Gone" || reason == "Expired") return GoneError(message);
  if (reason == "Timeout" || reason == "ServerTimeout") return DeadlineExceededError(message);
  if (reason == "TooManyRequests") return ResourceExhaustedError(message);
  if (reason == "ServiceUnavailable") return UnavailableError(message);
  if (reason == "MethodNotAllowed" || reason == "NotAcceptable" || reason == "UnsupportedMediaType") {
    return UnimplementedError(message);
  }
  if (reason == "RequestEntityTooLarge") return ResourceExhaustedError(message);
  switch (code) {
    case 400: return InvalidArgumentError(message);
    case 401: return UnauthenticatedError(message);
    case 403: return PermissionDeniedError(message);
    case 404: return NotFoundError(message);
    case 409: return ConflictError(message);
    case 410: return GoneError(message);
    case 422: return InvalidArgumentError(message);
    case 429: return ResourceExhaustedError(message);
    case 503: return UnavailableError(message);
    case 504: return DeadlineExceededError(message);
    default: return code >= 500 ? InternalError(message) : UnknownError(message);
  }
}

std::string GenericMessage(int code, const std::string& body) {
  switch (code) {
    case 400: return "the server rejected our request for an unknown reason";
    case 401: return "the server has asked for the client to provide credentials";
    case 403: return "forbidden: " + body;
    case 404: return "the server could not find the requested resource";
    case 405: return "the server does not allow this method on the requested resource";
    case 409: return "the server reported a conflict";
    case 422: return "the server rejected our request due to an error in our request";
    case 429: return "the server has received too many requests and has asked us to try again later";
    case 503: return "the server is currently unable to handle the request";
    case 504:
      return "the server was unable to return a response in the time allotted, but may still be processing the request";
    default: return "an error on the server (\"" + body.substr(0, 200) + "\") has prevented the request from succeeding";
  }
}

}  // namespace

StatusOr<WatchEvent> ParseWatchLine(std::string_view line) {
  std::string_view type = UnquotedMember(line, "type");
  std::string_view object = TopLevelMember(line, "object");
  if (type == "ADDED") return WatchEvent{WatchEvent::Type::kAdded, object};
  if (type == "MODIFIED") return WatchEvent{WatchEvent::Type::kModified, object};
  if (type == "DELETED") return WatchEvent{WatchEvent::Type::kDeleted, object};
  if (type == "BOOKMARK") return WatchEvent{WatchEvent::Type::kBookmark, object};
  if (type == "ERROR") {
    Json st = Json::parse(object, nullptr, false);
    int code = st.is_object() ? st.value("code", 500) : 500;
    return StatusFromResponse(code, std::string(object), "GET");
  }
  return InternalError("unexpected watch event: " + std::string(line.substr(0, 200)));
}

Status StatusFromResponse(int http_code, const std::string& body, const std::string& method) {
  Json doc = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_object() && doc.value("kind", "") == "Status") {
    std::string message = doc.value("message", "");
    std::string reason = doc.value("reason", "");
    int code = doc.value("code", http_code);
    if (message.empty()) message = GenericMessage(code, body);
    return FromReason(reason, code, message);
  }
  // A 409 without a Status body on a create is, as client-go reads it, AlreadyExists.
  if (http_code == 409 && method == "POST") return AlreadyExistsError(GenericMessage(409, body));
  return FromReason("", http_code, GenericMessage(http_code, body));
}

}  // namespace tusk::k8s
