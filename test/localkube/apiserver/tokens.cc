#include "test/localkube/apiserver/tokens.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include "test/localkube/apiserver/meta_util.h"

namespace tusk::localkube {

std::string TokenAuthority::Sign(const std::string& data) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  return Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), len));
}

std::string TokenAuthority::Issue(const ServiceAccountClaims& c, int64_t now) const {
  nlohmann::json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  nlohmann::json payload = {
      {"iss", "https://kubernetes.default.svc.cluster.local"},
      {"sub", "system:serviceaccount:" + c.ns + ":" + c.name},
      {"aud", c.audiences},
      {"iat", now},
      {"nbf", now},
      {"exp", c.expires},
      {"kubernetes.io", {{"namespace", c.ns}, {"serviceaccount", {{"name", c.name}, {"uid", c.uid}}}}}};
  std::string data = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(payload.dump());
  return data + "." + Sign(data);
}

std::optional<ServiceAccountClaims> TokenAuthority::Verify(const std::string& token, int64_t now) const {
  auto d1 = token.find('.');
  auto d2 = token.rfind('.');
  if (d1 == std::string::npos || d1 == d2) return std::nullopt;
  std::string data = token.substr(0, d2);
  std::string sig = Sign(data);
  std::string given = token.substr(d2 + 1);
  if (sig.size() != given.size() || CRYPTO_memcmp(sig.data(), given.data(), sig.size()) != 0) return std::nullopt;
  auto payload_raw = Base64Decode(token.substr(d1 + 1, d2 - d1 - 1));
  if (!payload_raw) return std::nullopt;
  nlohmann::json p = nlohmann::json::parse(*payload_raw, nullptr, false);
  if (p.is_discarded() || !p.is_object()) return std::nullopt;
  ServiceAccountClaims c;
  c.expires = p.value("exp", int64_t{0});
  if (c.expires <= now) return std::nullopt;
  const auto& k = p.value("kubernetes.io", nlohmann::json::object());
  c.ns = k.value("namespace", "");
  c.name = k.value("serviceaccount", nlohmann::json::object()).value("name", "");
  c.uid = k.value("serviceaccount", nlohmann::json::object()).value("uid", "");
  if (p.contains("aud") && p["aud"].is_array()) {
    for (const auto& a : p["aud"]) c.audiences.push_back(a.get<std::string>());
  }
  return c;
}

}  // namespace tusk::localkube
