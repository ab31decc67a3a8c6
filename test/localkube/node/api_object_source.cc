#include "test/localkube/node/api_object_source.h"

#include "test/localkube/apiserver/meta_util.h"

namespace tusk::localkube {
namespace {

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

StatusOr<IssuedToken> ApiObjectSource::RequestToken(const std::string& ns, const TokenRequestSpec& request) {
  nlohmann::json spec = {{"expirationSeconds", request.expiration_seconds},
                         {"boundObjectRef", {{"kind", "Pod"}, {"apiVersion", "v1"}, {"name", request.pod_name},
                                             {"uid", request.pod_uid}}}};
  if (!request.audiences.empty()) spec["audiences"] = request.audiences;
  const nlohmann::json body = {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "TokenRequest"}, {"spec", spec}};
  auto issued = api_->CreateToken(ns, request.service_account, body, clock_.WallNow());
  if (!issued.ok()) return FromApiError(issued.error());
  const nlohmann::json& out = issued->object;
  IssuedToken token;
  token.token = out.value("/status/token"_json_pointer, std::string());
  token.expiration_seconds = out.value("/spec/expirationSeconds"_json_pointer, int64_t{0});
  auto expires = ParseRfc3339(out.value("/status/expirationTimestamp"_json_pointer, std::string()));
  if (token.token.empty() || !expires || token.expiration_seconds <= 0) {
    return InternalError("TokenRequest for " + ns + "/" + request.service_account + " returned no usable token");
  }
  token.expires = *expires;
  return token;
}

}  // namespace tusk::localkube
