// The pieces of an HTTP/1.1 response that come from the server, parsed
// without trusting it: every function returns a Status for anything malformed
// or out of bounds and never throws, so a broken or hostile object store
// cannot take down the process that reads from it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "common/base/status.h"

namespace tusk::s3 {

// The most body one response may carry: S3's largest single-request object.
// Larger declared lengths are refused before anything is allocated.
constexpr uint64_t kMaxBodyBytes = uint64_t{5} << 30;

struct StatusLine {
  int code = 0;              // 100..599
  bool keep_alive = true;    // HTTP/1.1 (1.0 closes unless told otherwise)
};
// "HTTP/1.1 200 OK".
StatusOr<StatusLine> ParseStatusLine(std::string_view line);

// "Name: value" with the value's surrounding blanks removed.
StatusOr<std::pair<std::string, std::string>> ParseHeaderLine(std::string_view line);

// A Content-Length value: decimal digits only, at most `max` (a HEAD reply
// describes an object, which may be larger than one response may carry).
StatusOr<uint64_t> ParseContentLength(std::string_view value, uint64_t max = kMaxBodyBytes);

// A chunked-encoding size line ("1a2b" or "1a2b;ext=1"): hex, at most
// kMaxBodyBytes.
StatusOr<uint64_t> ParseChunkSize(std::string_view line);

}  // namespace tusk::s3
