// The kubelet's ObjectSource over the in-process Api: Secrets and
// ConfigMaps as stored, a claim's host directory from its bound
// PersistentVolume (spec.hostPath.path, as the local-path provisioner writes
// it), and service-account tokens bound to their pod through the TokenRequest
// subresource (the Kubelet keeps them until they need a refresh).
#pragma once

#include <string>

#include "common/base/status.h"
#include "test/localkube/apiserver/api.h"
#include "test/localkube/runtime/object_source.h"

namespace tusk::localkube {

// An Api error as a Status with the matching code (404 NotFound, 409
// Conflict, 410 Gone, ...) and the server's message.
Status FromApiError(const ApiError& error);

class ApiObjectSource final : public ObjectSource {
 public:
  // `clock` is the time tokens are requested at.
  ApiObjectSource(Api* api, Clock& clock) : api_(api), clock_(clock) {}
  StatusOr<nlohmann::json> GetSecret(const std::string& ns, const std::string& name) override;
  StatusOr<nlohmann::json> GetConfigMap(const std::string& ns, const std::string& name) override;
  StatusOr<std::string> ClaimPath(const std::string& ns, const std::string& claim) override;
  StatusOr<IssuedToken> RequestToken(const std::string& ns, const TokenRequestSpec& request) override;

 private:
  Api* api_;
  Clock& clock_;
};

}  // namespace tusk::localkube
