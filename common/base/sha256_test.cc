#include "common/base/sha256.h"

#include <catch2/catch.hpp>

namespace tusk {
namespace {

TEST_CASE("Sha256Hex gives the FIPS 180-2 digests in lowercase hex") {
  CHECK(Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Bytes after a NUL count: the config hash joins its parts with '\0'.
  CHECK(Sha256Hex(std::string_view("a\0b", 3)) != Sha256Hex("a"));
}

}  // namespace
}  // namespace tusk
