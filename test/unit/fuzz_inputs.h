// Inputs for fuzz-style tests of parsers that read outside data (bucket
// objects, HTTP replies, postgres output): random bytes, every truncation of
// a valid input, and valid inputs with bytes flipped. Seeded, so a failure
// names an input that can be reproduced.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace tusk::testing {

// `count` strings of 0..max_len bytes, drawn from `alphabet` (all bytes when
// empty), so both pure noise and near-misses of the grammar appear.
inline std::vector<std::string> RandomInputs(uint64_t seed, size_t count, size_t max_len,
                                             const std::string& alphabet = "") {
  std::mt19937_64 rng(seed);
  std::vector<std::string> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    std::string s(rng() % (max_len + 1), '\0');
    for (auto& c : s) c = alphabet.empty() ? static_cast<char>(rng()) : alphabet[rng() % alphabet.size()];
    out.push_back(std::move(s));
  }
  return out;
}

// Every prefix of `valid`, the empty one included.
inline std::vector<std::string> Truncations(const std::string& valid) {
  std::vector<std::string> out;
  for (size_t n = 0; n <= valid.size(); ++n) out.push_back(valid.substr(0, n));
  return out;
}

// `count` copies of `valid`, each with a few bytes replaced, inserted or
// removed at random places.
inline std::vector<std::string> Mutations(uint64_t seed, const std::string& valid, size_t count) {
  std::mt19937_64 rng(seed);
  std::vector<std::string> out;
  for (size_t i = 0; i < count; ++i) {
    std::string s = valid;
    for (int edits = 1 + static_cast<int>(rng() % 4); edits > 0; --edits) {
      size_t at = s.empty() ? 0 : rng() % s.size();
      switch (rng() % 3) {
        case 0: if (!s.empty()) s[at] = static_cast<char>(rng()); break;
        case 1: s.insert(at, 1, static_cast<char>(rng())); break;
        default: if (!s.empty()) s.erase(at, 1 + rng() % 8);
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

// Decimal numbers at and past the edges of the integer types.
inline std::vector<std::string> HugeNumbers() {
  return {"2147483647", "2147483648", "4294967295", "4294967296", "9223372036854775807", "9223372036854775808",
          "18446744073709551615", "18446744073709551616", "99999999999999999999999999999999", "-1",
          "-9223372036854775809", "1e400", "0x7fffffffffffffff", "ffffffffffffffffff"};
}

}  // namespace tusk::testing
