#include "common/pg/lsn.h"

#include <charconv>
#include <cstdio>

namespace tusk::pg {
namespace {

bool ParseHalf(std::string_view s, uint32_t* out) {
  if (s.empty() || s.size() > 8) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, 16);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

StatusOr<Lsn> Lsn::Parse(std::string_view text) {
  auto slash = text.find('/');
  uint32_t hi = 0, lo = 0;
  if (slash == std::string_view::npos || !ParseHalf(text.substr(0, slash), &hi) ||
      !ParseHalf(text.substr(slash + 1), &lo)) {
    return InvalidArgumentError("not an LSN (expected e.g. 0/3000148): \"" + std::string(text) + "\"");
  }
  return Lsn((uint64_t{hi} << 32) | lo);
}

std::string Lsn::ToString() const {
  char buf[24];
  std::snprintf(buf, sizeof(buf), "%X/%X", static_cast<unsigned>(value_ >> 32),
                static_cast<unsigned>(value_ & 0xffffffffu));
  return buf;
}

}  // namespace tusk::pg
