// What the kubelet reads from the API server besides its pods: Secrets,
// ConfigMaps, the host directory bound to a PVC, service-account tokens.
// One small interface so the runtime is tested with a map and wired to the
// API server's store by the integrator.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/clock.h"
#include "common/base/status.h"

namespace tusk::localkube {

// A projected serviceAccountToken source, as the kubelet asks the
// TokenRequest API for it: bound to the pod, for its ServiceAccount.
struct TokenRequestSpec {
  std::string service_account;
  std::vector<std::string> audiences;  // empty: the API server's own
  int64_t expiration_seconds = 3600;
  std::string pod_name, pod_uid;
  bool operator<(const TokenRequestSpec& o) const;
};

// What the API server granted: the token, when it expires, and the lifetime
// it was given (which may be shorter than asked).
struct IssuedToken {
  std::string token;
  WallTime expires;
  int64_t expiration_seconds = 0;
};

class ObjectSource {
 public:
  virtual ~ObjectSource() = default;
  // The v1 Secret / ConfigMap object; NotFound when it does not exist.
  virtual StatusOr<nlohmann::json> GetSecret(const std::string& ns, const std::string& name) = 0;
  virtual StatusOr<nlohmann::json> GetConfigMap(const std::string& ns, const std::string& name) = 0;
  // The host directory holding a bound PVC's data; Unavailable while the
  // claim is not bound yet.
  virtual StatusOr<std::string> ClaimPath(const std::string& ns, const std::string& claim) = 0;
  // A new token from the TokenRequest API (projected serviceAccountToken).
  virtual StatusOr<IssuedToken> RequestToken(const std::string& ns, const TokenRequestSpec& request) = 0;
};

// An ObjectSource over maps, for tests and for a kubelet run without an API
// server. Keys are "namespace/name".
class MapObjectSource final : public ObjectSource {
 public:
  StatusOr<nlohmann::json> GetSecret(const std::string& ns, const std::string& name) override;
  StatusOr<nlohmann::json> GetConfigMap(const std::string& ns, const std::string& name) override;
  StatusOr<std::string> ClaimPath(const std::string& ns, const std::string& claim) override;
  // The token stored for "namespace/serviceaccount".
  StatusOr<IssuedToken> RequestToken(const std::string& ns, const TokenRequestSpec& request) override;

  std::map<std::string, nlohmann::json> secrets, config_maps;
  std::map<std::string, std::string> claims;
  std::map<std::string, IssuedToken> tokens;
};

// Secret `data` values are base64; this returns the decoded bytes of every
// key (`data`, then `stringData` on top, as the API server would merge).
StatusOr<std::map<std::string, std::string>> SecretValues(const nlohmann::json& secret);
// ConfigMap `data` (and base64 `binaryData`) as bytes.
StatusOr<std::map<std::string, std::string>> ConfigMapValues(const nlohmann::json& config_map);

StatusOr<std::string> DecodeBase64(const std::string& text);

}  // namespace tusk::localkube
