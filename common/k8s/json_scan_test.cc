#include "common/k8s/json_scan.h"

#include <catch2/catch.hpp>

namespace tusk::k8s {
namespace {

TEST_CASE("TopLevelMember finds members without being fooled by nested keys or strings") {
  std::string_view line =
      R"({"type" : "MODIFIED", "object":{"type":"inner","s":"a \"}\" b","x":[1,{"object":2}]},"n":-1.5})";
  CHECK(UnquotedMember(line, "type") == "MODIFIED");
  CHECK(TopLevelMember(line, "object") == R"({"type":"inner","s":"a \"}\" b","x":[1,{"object":2}]})");
  CHECK(TopLevelMember(line, "n") == "-1.5");
  CHECK(TopLevelMember(line, "missing").empty());
  CHECK(TopLevelMember("not json", "type").empty());
  CHECK(TopLevelMember(R"({"object":{"unterminated":)", "object").empty());
}

}  // namespace
}  // namespace tusk::k8s
