// The kubelet's service-account token manager: an ObjectSource that passes
// Secrets, ConfigMaps and claims through, and keeps each token it was asked
// for until that token needs a refresh, so a pod's projected token file
// changes only then (the periodic volume refresh asks every second).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "common/base/clock.h"
#include "test/localkube/runtime/object_source.h"

namespace tusk::localkube {

// The kubelet refreshes a token once it is older than 80% of the lifetime
// the API server granted, or older than 24 hours. Pure.
bool TokenNeedsRefresh(const IssuedToken& token, WallTime now);

class TokenManager final : public ObjectSource {
 public:
  TokenManager(ObjectSource& source, Clock& clock) : source_(source), clock_(clock) {}

  StatusOr<nlohmann::json> GetSecret(const std::string& ns, const std::string& name) override {
    return source_.GetSecret(ns, name);
  }
  StatusOr<nlohmann::json> GetConfigMap(const std::string& ns, const std::string& name) override {
    return source_.GetConfigMap(ns, name);
  }
  StatusOr<std::string> ClaimPath(const std::string& ns, const std::string& claim) override {
    return source_.ClaimPath(ns, claim);
  }
  // The token kept for this request unless it needs a refresh. When a
  // refresh fails, the kept token while it is still valid (the error only
  // once it has expired), as the kubelet does.
  StatusOr<IssuedToken> RequestToken(const std::string& ns, const TokenRequestSpec& request) override;

  // Forgets the tokens of a pod that is gone.
  void ForgetPod(const std::string& pod_uid);

 private:
  using Key = std::pair<std::string, TokenRequestSpec>;  // namespace, request

  ObjectSource& source_;
  Clock& clock_;
  std::mutex mu_;
  std::map<Key, IssuedToken> tokens_;
};

}  // namespace tusk::localkube
