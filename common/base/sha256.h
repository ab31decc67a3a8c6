// SHA-256 as lowercase hex: the payload hash of S3 request signing and the
// hash of rendered configuration. One implementation (OpenSSL's), so the two
// cannot drift apart.
#pragma once

#include <string>
#include <string_view>

namespace tusk {

std::string Sha256Hex(std::string_view data);

}  // namespace tusk
