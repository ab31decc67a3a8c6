#include "test/localkube/runtime/token_manager.h"

namespace tusk::localkube {

bool TokenNeedsRefresh(const IssuedToken& token, WallTime now) {
  const auto lifetime = std::chrono::seconds(token.expiration_seconds);
  const WallTime issued = token.expires - lifetime;
  return now >= issued + lifetime * 8 / 10 || now >= issued + std::chrono::hours(24);
}

StatusOr<IssuedToken> TokenManager::RequestToken(const std::string& ns, const TokenRequestSpec& request) {
  const Key key{ns, request};
  std::optional<IssuedToken> kept;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tokens_.find(key);
    if (it != tokens_.end()) kept = it->second;
  }
  const WallTime now = clock_.WallNow();
  if (kept && !TokenNeedsRefresh(*kept, now)) return *kept;
  // Each pod's worker asks for its own keys only, so no two threads refresh
  // the same token; the lock is not held across the request.
  auto fresh = source_.RequestToken(ns, request);
  if (!fresh.ok()) {
    if (kept && now < kept->expires) return *kept;
    return fresh.status();
  }
  std::lock_guard<std::mutex> lock(mu_);
  tokens_[key] = *fresh;
  return *fresh;
}

void TokenManager::ForgetPod(const std::string& pod_uid) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto it = tokens_.begin(); it != tokens_.end();) {
    it = it->first.second.pod_uid == pod_uid ? tokens_.erase(it) : std::next(it);
  }
}

}  // namespace tusk::localkube
