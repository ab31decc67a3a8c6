// Small object-metadata helpers shared by the API server's libraries:
// timestamps in Kubernetes' formats, UIDs, generated names, name validation,
// base64 and a few nlohmann::json accessors.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/base/clock.h"

namespace tusk::localkube {

using json = nlohmann::json;

// "2025-01-31T12:00:00Z" (seconds precision, UTC).
std::string NowRfc3339();
// MicroTime: "2025-01-31T12:00:00.123456Z".
std::string NowRfc3339Micro();
std::optional<std::chrono::system_clock::time_point> ParseRfc3339(const std::string& s);

std::string NewUid();
// Five characters from Kubernetes' generateName alphabet.
std::string RandomSuffix();
std::string RandomToken(size_t bytes);

std::string Base64Encode(const std::string& data);
std::string Base64UrlEncode(const std::string& data);  // no padding
std::optional<std::string> Base64Decode(const std::string& data);  // std or url, padding optional

// Empty when `name` is a valid RFC 1123 subdomain, else Kubernetes' message.
std::string ValidateDns1123Subdomain(const std::string& name);
std::string ValidateDns1123Label(const std::string& name);

// obj["a"]["b"] as string, or "" when missing / not a string.
std::string StrAt(const json& obj, const json::json_pointer& ptr);
const json* Find(const json& obj, const std::string& key);

}  // namespace tusk::localkube
