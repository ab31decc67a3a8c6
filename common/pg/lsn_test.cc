#include "common/pg/lsn.h"

#include <catch2/catch.hpp>

#include "test/unit/fuzz_inputs.h"

using tusk::pg::Lsn;

TEST_CASE("Lsn parses and prints PostgreSQL's text form") {
  auto l = Lsn::Parse("16/B374D848");
  REQUIRE(l.ok());
  CHECK(l->value() == ((uint64_t{0x16} << 32) | 0xB374D848u));
  CHECK(l->ToString() == "16/B374D848");
  CHECK(Lsn::Parse("0/3000148")->ToString() == "0/3000148");
  CHECK(Lsn::Parse("0/0")->value() == 0);
  CHECK(Lsn::Parse("a/b")->ToString() == "A/B");
}

TEST_CASE("Lsn rejects malformed text") {
  for (const char* bad : {"", "0", "/1", "1/", "0/123456789", "x/1", "1/2/3", "0/3000148 "}) {
    INFO(bad);
    CHECK_FALSE(Lsn::Parse(bad).ok());
  }
}

TEST_CASE("Lsn orders positions and measures lag in bytes") {
  Lsn a = *Lsn::Parse("0/3000000"), b = *Lsn::Parse("0/3000148");
  CHECK(a < b);
  CHECK(b.BytesAfter(a) == 0x148);
  CHECK(a.BytesAfter(b) == 0);
  CHECK(Lsn::Parse("1/0")->BytesAfter(*Lsn::Parse("0/FFFFFFFF")) == 1);
}

TEST_CASE("Lsn fuzz: any text is a position or an error, and what parses prints back") {
  std::vector<std::string> inputs = tusk::testing::RandomInputs(7, 3000, 24, "0123456789ABCDEFabcdef/ +-xX");
  for (auto& s : tusk::testing::RandomInputs(8, 500, 24)) inputs.push_back(std::move(s));
  for (auto& s : tusk::testing::Truncations("FFFFFFFF/FFFFFFFF")) inputs.push_back(std::move(s));
  for (auto& s : tusk::testing::Mutations(9, "16/B374D848", 500)) inputs.push_back(std::move(s));
  for (auto& s : tusk::testing::HugeNumbers()) inputs.push_back(s + "/" + s);
  size_t parsed = 0;
  for (const auto& in : inputs) {
    tusk::StatusOr<Lsn> l = tusk::InvalidArgumentError("unset");
    REQUIRE_NOTHROW(l = Lsn::Parse(in));
    if (!l.ok()) continue;
    ++parsed;
    INFO(in);
    CHECK(Lsn::Parse(l->ToString()).value_or(Lsn(1)) == *l);
  }
  CHECK(parsed > 0);
  CHECK(Lsn::Parse("FFFFFFFF/FFFFFFFF")->value() == UINT64_MAX);
}
