#include "operator/specs/password.h"

#include <array>
#include <cstdint>
#include <utility>

namespace tusk::op::specs {
namespace {

constexpr char kLetters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr char kDigits[] = "0123456789";

// Uniform integers below n (n <= 256) from a buffered byte stream.
class Uniform {
 public:
  explicit Uniform(tls::RandomSource& random) : random_(random) {}

  StatusOr<size_t> Below(size_t n) {
    // Bytes at or above the largest multiple of n would favour small values.
    const size_t limit = 256 - 256 % n;
    for (int tries = 0; tries < kMaxTries; ++tries) {
      if (next_ == buf_.size()) {
        RETURN_IF_ERROR(random_.Fill(buf_.data(), buf_.size()));
        next_ = 0;
      }
      const uint8_t b = buf_[next_++];
      if (b < limit) return b % n;
    }
    return InternalError("the random source keeps returning the same unusable bytes");
  }

 private:
  // A uniform source rejects at most 1 byte in 2 here; 1024 rejections in a
  // row is a broken source, not bad luck.
  static constexpr int kMaxTries = 1024;
  tls::RandomSource& random_;
  std::array<uint8_t, 256> buf_{};
  size_t next_ = 256;
};

}  // namespace

StatusOr<std::string> GeneratePassword(tls::RandomSource& random) {
  Uniform uniform(random);
  std::string out;
  out.reserve(kPasswordLength);
  for (size_t i = 0; i < kPasswordLength; ++i) {
    const bool digit = i < kPasswordDigits;
    ASSIGN_OR_RETURN(size_t k, uniform.Below(digit ? sizeof kDigits - 1 : sizeof kLetters - 1));
    out += digit ? kDigits[k] : kLetters[k];
  }
  // Fisher-Yates: the digits end up anywhere, every arrangement alike.
  for (size_t i = out.size() - 1; i > 0; --i) {
    ASSIGN_OR_RETURN(size_t j, uniform.Below(i + 1));
    std::swap(out[i], out[j]);
  }
  return out;
}

}  // namespace tusk::op::specs
