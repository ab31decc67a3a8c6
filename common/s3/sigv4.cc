#include "common/s3/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace tusk::s3 {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Header values are trimmed and inner runs of spaces collapse to one.
std::string TrimCollapse(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

Pairs SortedLowerHeaders(const Pairs& headers) {
  Pairs out;
  for (const auto& [k, v] : headers) out.emplace_back(Lower(k), TrimCollapse(v));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::string UriEncode(std::string_view in, bool keep_slash) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(in.size());
  for (unsigned char c : in) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string HexLower(std::string_view bytes) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string AmzDate(std::chrono::system_clock::time_point t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string CanonicalQuery(const Pairs& query) {
  Pairs enc;
  for (const auto& [k, v] : query) enc.emplace_back(UriEncode(k, false), UriEncode(v, false));
  std::sort(enc.begin(), enc.end());
  std::string out;
  for (const auto& [k, v] : enc) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

std::string SignedHeaderNames(const Pairs& headers) {
  std::string out;
  for (const auto& [k, v] : SortedLowerHeaders(headers)) {
    if (!out.empty()) out += ';';
    out += k;
  }
  return out;
}

std::string CanonicalRequest(const SigningInput& in) {
  std::string out = in.method + "\n";
  out += (in.path.empty() ? std::string("/") : UriEncode(in.path, true)) + "\n";
  out += CanonicalQuery(in.query) + "\n";
  for (const auto& [k, v] : SortedLowerHeaders(in.headers)) out += k + ":" + v + "\n";
  out += "\n" + SignedHeaderNames(in.headers) + "\n" + in.payload_sha256;
  return out;
}

std::string StringToSign(const std::string& amz_date, const std::string& scope,
                         const std::string& canonical_request) {
  return "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + Sha256Hex(canonical_request);
}

std::string SigningKey(const std::string& secret, const std::string& yyyymmdd, const std::string& region,
                       const std::string& service) {
  std::string k = HmacSha256("AWS4" + secret, yyyymmdd);
  k = HmacSha256(k, region);
  k = HmacSha256(k, service);
  return HmacSha256(k, "aws4_request");
}

std::string Authorization(const SigningInput& in, const Credentials& creds, const std::string& region,
                          const std::string& amz_date) {
  const std::string day = amz_date.substr(0, 8);
  const std::string scope = day + "/" + region + "/s3/aws4_request";
  const std::string sts = StringToSign(amz_date, scope, CanonicalRequest(in));
  const std::string sig = HexLower(HmacSha256(SigningKey(creds.secret_access_key, day, region, "s3"), sts));
  return "AWS4-HMAC-SHA256 Credential=" + creds.access_key_id + "/" + scope +
         ", SignedHeaders=" + SignedHeaderNames(in.headers) + ", Signature=" + sig;
}

}  // namespace tusk::s3
