// Bearer-token authentication: the cluster-admin token written into the
// kubeconfig, and ServiceAccount tokens (JWTs signed with the server's key,
// HS256) issued through the TokenRequest subresource.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tusk::localkube {

struct ServiceAccountClaims {
  std::string ns;
  std::string name;
  std::string uid;
  std::vector<std::string> audiences;
  int64_t expires = 0;  // unix seconds
};

class TokenAuthority {
 public:
  TokenAuthority(std::string signing_key) : key_(std::move(signing_key)) {}
  std::string Issue(const ServiceAccountClaims& claims, int64_t now) const;
  // The claims of a token this authority signed and that has not expired.
  std::optional<ServiceAccountClaims> Verify(const std::string& token, int64_t now) const;

 private:
  std::string Sign(const std::string& data) const;
  std::string key_;
};

}  // namespace tusk::localkube
