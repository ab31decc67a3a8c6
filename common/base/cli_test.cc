#include "common/base/cli.h"

#include <catch2/catch.hpp>

namespace tusk {
namespace {

TEST_CASE("flag values: a whole decimal int, HOST:PORT split at the last colon, errors name the flag") {
  CHECK(ParseIntFlag("workers", "4").value() == 4);
  CHECK(ParseIntFlag("workers", "4x").status().message() == "--workers: not a number: \"4x\"");
  CHECK_FALSE(ParseIntFlag("workers", "").ok());
  CHECK_FALSE(ParseIntFlag("workers", "99999999999").ok());
  auto hp = ParseHostPortFlag("health-address", "0.0.0.0:8081");
  REQUIRE(hp.ok());
  CHECK(hp->host == "0.0.0.0");
  CHECK(hp->port == 8081);
  CHECK(ParseHostPortFlag("health-address", "[::1]:9").value().host == "[::1]");
  CHECK(ParseHostPortFlag("health-address", "8081").status().message() ==
        "--health-address: expected HOST:PORT, got 8081");
  CHECK(ParseHostPortFlag("http-address", "host:").status().code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace tusk
