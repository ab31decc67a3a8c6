// AWS Signature Version 4 for S3, as pure functions over a described request,
// so the signing can be checked against AWS's published examples without any
// network. The HTTP client calls Sign() on every request it sends.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/base/sha256.h"  // Sha256Hex, the payload hash

namespace tusk::s3 {

using Pairs = std::vector<std::pair<std::string, std::string>>;

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty unless temporary credentials
};

// What gets signed. `path` and query values are raw (not yet encoded).
struct SigningInput {
  std::string method;
  std::string path;  // "/bucket/key" (path-style) or "/key" (virtual-hosted)
  Pairs query;
  Pairs headers;  // must hold host, x-amz-date and x-amz-content-sha256
  std::string payload_sha256;
};

// RFC 3986 encoding as SigV4 wants it: unreserved characters literal,
// everything else %XX upper-case; '/' kept only when `keep_slash`.
std::string UriEncode(std::string_view in, bool keep_slash);

std::string HmacSha256(std::string_view key, std::string_view data);
std::string HexLower(std::string_view bytes);

// "20130524T000000Z".
std::string AmzDate(std::chrono::system_clock::time_point t);

std::string CanonicalQuery(const Pairs& query);
std::string CanonicalRequest(const SigningInput& in);
std::string SignedHeaderNames(const Pairs& headers);
std::string StringToSign(const std::string& amz_date, const std::string& scope,
                         const std::string& canonical_request);
std::string SigningKey(const std::string& secret, const std::string& yyyymmdd,
                       const std::string& region, const std::string& service);

// The Authorization header value for `in`, signed at `amz_date`.
std::string Authorization(const SigningInput& in, const Credentials& creds, const std::string& region,
                          const std::string& amz_date);

}  // namespace tusk::s3
