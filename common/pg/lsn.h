// PostgreSQL log sequence numbers: the 64-bit WAL position, in the text form
// PostgreSQL prints ("16/B374D848": two uppercase hex halves, no padding).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/base/status.h"

namespace tusk::pg {

class Lsn {
 public:
  constexpr Lsn() = default;
  constexpr explicit Lsn(uint64_t value) : value_(value) {}

  // Accepts "X/Y" with 1-8 hex digits per half, either case.
  static StatusOr<Lsn> Parse(std::string_view text);

  uint64_t value() const { return value_; }
  std::string ToString() const;

  // Bytes from `older` to this position; 0 when `older` is ahead.
  uint64_t BytesAfter(Lsn older) const { return value_ > older.value_ ? value_ - older.value_ : 0; }

  friend constexpr auto operator<=>(Lsn a, Lsn b) = default;

 private:
  uint64_t value_ = 0;
};

}  // namespace tusk::pg
