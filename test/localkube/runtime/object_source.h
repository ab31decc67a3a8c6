// What the kubelet reads from the API server besides its pods: Secrets,
// ConfigMaps, the host directory bound to a PVC, service-account tokens.
// One small interface so the runtime is tested with a map and wired to the
// API server's store by the integrator.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "common/base/status.h"

namespace tusk::localkube {

class ObjectSource {
 public:
  virtual ~ObjectSource() = default;
  // The v1 Secret / ConfigMap object; NotFound when it does not exist.
  virtual StatusOr<nlohmann::json> GetSecret(const std::string& ns, const std::string& name) = 0;
  virtual StatusOr<nlohmann::json> GetConfigMap(const std::string& ns, const std::string& name) = 0;
  // The host directory holding a bound PVC's data; Unavailable while the
  // claim is not bound yet.
  virtual StatusOr<std::string> ClaimPath(const std::string& ns, const std::string& claim) = 0;
  // A bearer token for the service account (projected serviceAccountToken).
  virtual StatusOr<std::string> ServiceAccountToken(const std::string& ns, const std::string& service_account) = 0;
};

// An ObjectSource over maps, for tests and for a kubelet run without an API
// server. Keys are "namespace/name".
class MapObjectSource final : public ObjectSource {
 public:
  StatusOr<nlohmann::json> GetSecret(const std::string& ns, const std::string& name) override;
  StatusOr<nlohmann::json> GetConfigMap(const std::string& ns, const std::string& name) override;
  StatusOr<std::string> ClaimPath(const std::string& ns, const std::string& claim) override;
  StatusOr<std::string> ServiceAccountToken(const std::string& ns, const std::string& service_account) override;

  std::map<std::string, nlohmann::json> secrets, config_maps;
  std::map<std::string, std::string> claims, tokens;
};

// Secret `data` values are base64; this returns the decoded bytes of every
// key (`data`, then `stringData` on top, as the API server would merge).
StatusOr<std::map<std::string, std::string>> SecretValues(const nlohmann::json& secret);
// ConfigMap `data` (and base64 `binaryData`) as bytes.
StatusOr<std::map<std::string, std::string>> ConfigMapValues(const nlohmann::json& config_map);

StatusOr<std::string> DecodeBase64(const std::string& text);

}  // namespace tusk::localkube
