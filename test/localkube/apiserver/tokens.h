// ServiceAccount tokens as kube-apiserver issues them through TokenRequest:
// JWTs signed with the server's key (HS256) carrying the ServiceAccount, the
// object the token is bound to (a Pod, Secret or Node), its audiences and its
// lifetime. Pure: the caller gives the time and checks the bound objects.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test/localkube/apiserver/errors.h"

namespace tusk::localkube {

// The issuer, and the audience the API server accepts (its --api-audiences
// default): tokens meant for anyone else do not authenticate to it.
inline constexpr char kApiAudience[] = "https://kubernetes.default.svc.cluster.local";

struct BoundObject {
  std::string name;
  std::string uid;
};

struct ServiceAccountClaims {
  std::string ns;
  std::string name;
  std::string uid;
  std::vector<std::string> audiences;
  int64_t expires = 0;  // unix seconds
  // What the token is bound to; it stops authenticating when that is gone.
  std::optional<BoundObject> pod, secret, node;
};

// How long a TokenRequest may make a token live. kube-apiserver refuses less
// than 10 minutes and shortens a request to --service-account-max-token-expiration.
struct TokenLifetimes {
  int64_t min_seconds = 600;
  int64_t max_seconds = 0;  // 0: no cap
};

// The lifetime a request for `requested` seconds gets, with the warning
// kube-apiserver sends when it shortened it; 422 below the minimum or beyond
// 2^32 seconds.
struct GrantedLifetime {
  int64_t seconds = 0;
  std::string warning;
};
ApiOr<GrantedLifetime> GrantLifetime(int64_t requested, const TokenLifetimes& lifetimes);

class TokenAuthority {
 public:
  explicit TokenAuthority(std::string signing_key, TokenLifetimes lifetimes = {})
      : key_(std::move(signing_key)), lifetimes_(lifetimes) {}
  std::string Issue(const ServiceAccountClaims& claims, int64_t now) const;
  // The claims of a token this authority signed, valid at `now`.
  std::optional<ServiceAccountClaims> Verify(const std::string& token, int64_t now) const;
  const TokenLifetimes& lifetimes() const { return lifetimes_; }

 private:
  std::string Sign(const std::string& data) const;
  std::string key_;
  TokenLifetimes lifetimes_;
};

}  // namespace tusk::localkube
