#include "operator/specs/password.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <vector>

namespace tusk::op::specs {
namespace {

// Bytes from a fixed sequence: a linear congruential stream from `seed`, so a
// test sees the same password every run.
class FixedSource final : public tls::RandomSource {
 public:
  explicit FixedSource(uint32_t seed) : state_(seed) {}
  Status Fill(uint8_t* out, size_t n) override {
    for (size_t i = 0; i < n; ++i) {
      state_ = state_ * 1664525u + 1013904223u;
      out[i] = static_cast<uint8_t>(state_ >> 24);
    }
    return OkStatus();
  }

 private:
  uint32_t state_;
};

class ConstantSource final : public tls::RandomSource {
 public:
  explicit ConstantSource(uint8_t b) : b_(b) {}
  Status Fill(uint8_t* out, size_t n) override {
    std::fill(out, out + n, b_);
    return OkStatus();
  }

 private:
  uint8_t b_;
};

class FailingSource final : public tls::RandomSource {
 public:
  Status Fill(uint8_t*, size_t) override { return UnavailableError("getrandom: no entropy"); }
};

void CheckShape(const std::string& pw) {
  INFO(pw);
  CHECK(pw.size() == 64);
  CHECK(std::count_if(pw.begin(), pw.end(), [](unsigned char c) { return std::isdigit(c); }) == 10);
  CHECK(std::count_if(pw.begin(), pw.end(), [](unsigned char c) { return std::isalpha(c); }) == 54);
}

TEST_CASE("generated passwords are 64 letters and digits, ten of them digits", "[specs][password]") {
  FixedSource a(1), a_again(1), b(2);
  auto pa = GeneratePassword(a);
  auto pa2 = GeneratePassword(a_again);
  auto pb = GeneratePassword(b);
  REQUIRE(pa.ok());
  REQUIRE(pa2.ok());
  REQUIRE(pb.ok());
  CheckShape(*pa);
  CheckShape(*pb);
  CHECK(*pa == *pa2);  // a pure function of the bytes
  CHECK(*pa != *pb);
  // The digits are shuffled in, not left at the front.
  CHECK_FALSE(std::all_of(pa->begin(), pa->begin() + 10, [](unsigned char c) { return std::isdigit(c); }));
  // Upper and lower case both appear.
  CHECK(std::any_of(pa->begin(), pa->end(), [](unsigned char c) { return std::isupper(c); }));
  CHECK(std::any_of(pa->begin(), pa->end(), [](unsigned char c) { return std::islower(c); }));
}

TEST_CASE("the system source makes distinct passwords of the same shape", "[specs][password]") {
  tls::SystemRandom random;
  auto one = GeneratePassword(random);
  auto two = GeneratePassword(random);
  REQUIRE(one.ok());
  REQUIRE(two.ok());
  CheckShape(*one);
  CheckShape(*two);
  CHECK(*one != *two);
}

TEST_CASE("a broken random source is an error, not a weak password", "[specs][password]") {
  FailingSource failing;
  CHECK(GeneratePassword(failing).status().code() == StatusCode::kUnavailable);
  // 0xff is above every acceptance limit: the generator gives up instead of spinning.
  ConstantSource stuck(0xff);
  auto pw = GeneratePassword(stuck);
  CHECK(pw.status().code() == StatusCode::kInternal);
  CHECK_THAT(pw.status().message(), Catch::Contains("random source"));
}

}  // namespace
}  // namespace tusk::op::specs
