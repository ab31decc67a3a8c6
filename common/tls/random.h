// Where secrets get their randomness: an interface, so code that makes
// passwords or tokens stays a pure function of the bytes it is given, and the
// one real source, the kernel's CSPRNG through getrandom(2).
#pragma once

#include <cstddef>
#include <cstdint>

#include "common/base/status.h"

namespace tusk::tls {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` with `n` uniformly random bytes.
  virtual Status Fill(uint8_t* out, size_t n) = 0;
};

class SystemRandom final : public RandomSource {
 public:
  Status Fill(uint8_t* out, size_t n) override;
};

}  // namespace tusk::tls
