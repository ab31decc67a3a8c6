#include "test/localkube/runtime/object_source.h"

#include <tuple>

namespace tusk::localkube {
namespace {

template <typename T>
StatusOr<T> Find(const std::map<std::string, T>& map, const std::string& kind, const std::string& ns,
                 const std::string& name) {
  auto it = map.find(ns + "/" + name);
  if (it == map.end()) return NotFoundError(kind + " \"" + name + "\" not found");
  return it->second;
}

}  // namespace

StatusOr<nlohmann::json> MapObjectSource::GetSecret(const std::string& ns, const std::string& name) {
  return Find(secrets, "secret", ns, name);
}
StatusOr<nlohmann::json> MapObjectSource::GetConfigMap(const std::string& ns, const std::string& name) {
  return Find(config_maps, "configmap", ns, name);
}
StatusOr<std::string> MapObjectSource::ClaimPath(const std::string& ns, const std::string& claim) {
  return Find(claims, "persistentvolumeclaim", ns, claim);
}
StatusOr<IssuedToken> MapObjectSource::RequestToken(const std::string& ns, const TokenRequestSpec& request) {
  return Find(tokens, "serviceaccount", ns, request.service_account);
}

bool TokenRequestSpec::operator<(const TokenRequestSpec& o) const {
  return std::tie(service_account, audiences, expiration_seconds, pod_name, pod_uid) <
         std::tie(o.service_account, o.audiences, o.expiration_seconds, o.pod_name, o.pod_uid);
}

StatusOr<std::string> DecodeBase64(const std::string& text) {
  static const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t buf = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=' || c == '\n' || c == '\r') continue;
    auto pos = kAlphabet.find(c);
    if (pos == std::string::npos) return InvalidArgumentError("illegal base64 data");
    buf = (buf << 6) | static_cast<uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xff));
    }
  }
  return out;
}

StatusOr<std::map<std::string, std::string>> SecretValues(const nlohmann::json& secret) {
  std::map<std::string, std::string> out;
  try {
    const nlohmann::json f_data = secret.value("data", nlohmann::json::object());
    for (const auto& [key, value] : f_data.items()) {
      auto decoded = DecodeBase64(value.get<std::string>());
      if (!decoded.ok()) return decoded.status().WithContext("secret key " + key);
      out[key] = *decoded;
    }
    const nlohmann::json f_stringData = secret.value("stringData", nlohmann::json::object());
    for (const auto& [key, value] : f_stringData.items()) {
      out[key] = value.get<std::string>();
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("malformed secret: ") + e.what());
  }
  return out;
}

StatusOr<std::map<std::string, std::string>> ConfigMapValues(const nlohmann::json& config_map) {
  std::map<std::string, std::string> out;
  try {
    const nlohmann::json f_data = config_map.value("data", nlohmann::json::object());
    for (const auto& [key, value] : f_data.items()) {
      out[key] = value.get<std::string>();
    }
    const nlohmann::json f_binaryData = config_map.value("binaryData", nlohmann::json::object());
    for (const auto& [key, value] : f_binaryData.items()) {
      ASSIGN_OR_RETURN(out[key], DecodeBase64(value.get<std::string>()));
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgumentError(std::string("malformed configmap: ") + e.what());
  }
  return out;
}

}  // namespace tusk::localkube
