#include "test/localkube/node/api_object_source.h"

namespace tusk::localkube {
namespace {

// The kubelet asks for a little over an hour, as Kubernetes' kubelet does.
constexpr int64_t kTokenSeconds = 3607;

StatusOr<nlohmann::json> GetObject(Api* api, const std::string& gr, const std::string& ns, const std::string& name) {
  auto got = api->Get(gr, ns, name);
  if (!got.ok()) return FromApiError(got.error());
  return *got;
}

}  // namespace

Status FromApiError(const ApiError& error) {
  switch (error.code) {
    case 400: return InvalidArgumentError(error.message);
    case 401: return UnauthenticatedError(error.message);
    case 403: return PermissionDeniedError(error.message);
    case 404: return NotFoundError(error.message);
    case 409: return error.reason == "AlreadyExists" ? AlreadyExistsError(error.message) : ConflictError(error.message);
    case 410: return GoneError(error.message);
    case 422: return InvalidArgumentError(error.message);
    case 429: return ResourceExhaustedError(error.message);
    case 503: return UnavailableError(error.message);
    default: return InternalError(error.message);
  }
}

StatusOr<nlohmann::json> ApiObjectSource::GetSecret(const std::string& ns, const std::string& name) {
  return GetObject(api_, "secrets", ns, name);
}

StatusOr<nlohmann::json> ApiObjectSource::GetConfigMap(const std::string& ns, const std::string& name) {
  return GetObject(api_, "configmaps", ns, name);
}

StatusOr<std::string> ApiObjectSource::ClaimPath(const std::string& ns, const std::string& claim) {
  ASSIGN_OR_RETURN(nlohmann::json pvc, GetObject(api_, "persistentvolumeclaims", ns, claim));
  const std::string volume = pvc.value("/spec/volumeName"_json_pointer, std::string());
  const std::string phase = pvc.value("/status/phase"_json_pointer, std::string());
  if (volume.empty() || phase != "Bound") {
    return UnavailableError("persistentvolumeclaim \"" + claim + "\" is not bound yet");
  }
  auto pv = GetObject(api_, "persistentvolumes", "", volume);
  if (!pv.ok()) return UnavailableError("persistentvolume \"" + volume + "\": " + pv.status().message());
  const std::string path = pv->value("/spec/hostPath/path"_json_pointer, std::string());
  if (path.empty()) {
    return FailedPreconditionError("persistentvolume \"" + volume + "\" has no spec.hostPath.path");
  }
  return path;
}

StatusOr<std::string> ApiObjectSource::ServiceAccountToken(const std::string& ns, const std::string& service_account) {
  const nlohmann::json request = {{"apiVersion", "authentication.k8s.io/v1"},
                                  {"kind", "TokenRequest"},
                                  {"spec", {{"expirationSeconds", kTokenSeconds}}}};
  auto issued = api_->CreateToken(ns, service_account, request);
  if (!issued.ok()) return FromApiError(issued.error());
  const std::string token = issued->value("/status/token"_json_pointer, std::string());
  if (token.empty()) return InternalError("TokenRequest for " + ns + "/" + service_account + " returned no token");
  return token;
}

}  // namespace tusk::localkube
