// The kubelet's ObjectSource over the in-process Api: Secrets and
// ConfigMaps as stored, a claim's host directory from its bound
// PersistentVolume (spec.hostPath.path, as the local-path provisioner writes
// it), and service-account tokens through the TokenRequest subresource.
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
  explicit ApiObjectSource(Api* api) : api_(api) {}
  StatusOr<nlohmann::json> GetSecret(const std::string& ns, const std::string& name) override;
  StatusOr<nlohmann::json> GetConfigMap(const std::string& ns, const std::string& name) override;
  StatusOr<std::string> ClaimPath(const std::string& ns, const std::string& claim) override;
  StatusOr<std::string> ServiceAccountToken(const std::string& ns, const std::string& service_account) override;

 private:
  Api* api_;
};

}  // namespace tusk::localkube
