#include "test/localkube/apiserver/tokens.h"

#include <openssl/crypto.h>
#include <openssl/hmac.h>

#include "test/localkube/apiserver/meta_util.h"

namespace tusk::localkube {
namespace {

// Kubernetes words the minimum as a duration ("10 minutes").
std::string DurationWords(int64_t seconds) {
  if (seconds % 60 == 0) return std::to_string(seconds / 60) + (seconds == 60 ? " minute" : " minutes");
  return std::to_string(seconds) + (seconds == 1 ? " second" : " seconds");
}

json ObjectClaim(const BoundObject& o) { return {{"name", o.name}, {"uid", o.uid}}; }

std::optional<BoundObject> ReadObjectClaim(const json& k, const char* key) {
  if (!k.contains(key) || !k[key].is_object()) return std::nullopt;
  return BoundObject{k[key].value("name", ""), k[key].value("uid", "")};
}

}  // namespace

ApiOr<GrantedLifetime> GrantLifetime(int64_t requested, const TokenLifetimes& lifetimes) {
  if (requested < lifetimes.min_seconds) {
    return Invalid("authentication.k8s.io", "TokenRequest", "",
                   {InvalidField("spec.expirationSeconds", requested,
                                 "may not specify a duration less than " + DurationWords(lifetimes.min_seconds))});
  }
  if (requested > (int64_t{1} << 32)) {
    return Invalid("authentication.k8s.io", "TokenRequest", "",
                   {InvalidField("spec.expirationSeconds", requested, "may not specify a duration larger than 2^32 seconds")});
  }
  GrantedLifetime out{requested, ""};
  if (lifetimes.max_seconds > 0 && requested > lifetimes.max_seconds) {
    out.seconds = lifetimes.max_seconds;
    out.warning = "requested expiration of " + std::to_string(requested) + " seconds shortened to " +
                  std::to_string(lifetimes.max_seconds) + " seconds";
  }
  return out;
}

std::string TokenAuthority::Sign(const std::string& data) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), mac, &len);
  return Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), len));
}

std::string TokenAuthority::Issue(const ServiceAccountClaims& c, int64_t now) const {
  json header = {{"alg", "HS256"}, {"typ", "JWT"}};
  json k = {{"namespace", c.ns}, {"serviceaccount", {{"name", c.name}, {"uid", c.uid}}}};
  if (c.pod) k["pod"] = ObjectClaim(*c.pod);
  if (c.secret) k["secret"] = ObjectClaim(*c.secret);
  if (c.node) k["node"] = ObjectClaim(*c.node);
  json payload = {{"iss", kApiAudience},
                  {"sub", "system:serviceaccount:" + c.ns + ":" + c.name},
                  {"aud", c.audiences},
                  {"iat", now},
                  {"nbf", now},
                  {"exp", c.expires},
                  {"jti", NewUid()},
                  {"kubernetes.io", k}};
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
  json p = json::parse(*payload_raw, nullptr, false);
  if (p.is_discarded() || !p.is_object()) return std::nullopt;
  try {
    ServiceAccountClaims c;
    c.expires = p.value("exp", int64_t{0});
    if (c.expires <= now || p.value("nbf", int64_t{0}) > now) return std::nullopt;
    const json k = p.value("kubernetes.io", json::object());
    c.ns = k.value("namespace", "");
    c.name = k.value("serviceaccount", json::object()).value("name", "");
    c.uid = k.value("serviceaccount", json::object()).value("uid", "");
    c.pod = ReadObjectClaim(k, "pod");
    c.secret = ReadObjectClaim(k, "secret");
    c.node = ReadObjectClaim(k, "node");
    for (const auto& a : p.value("aud", json::array())) c.audiences.push_back(a.get<std::string>());
    return c;
  } catch (const json::exception&) {
    return std::nullopt;  // a payload we signed always parses; anything else is not ours
  }
}

}  // namespace tusk::localkube
