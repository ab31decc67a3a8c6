#include "test/localkube/apiserver/selectors.h"

#include <catch2/catch.hpp>

namespace tusk::localkube {
namespace {

bool LabelsMatch(const std::string& sel, const json& labels) {
  auto s = LabelSelector::Parse(sel);
  REQUIRE(s.ok());
  return s->Matches(labels);
}

TEST_CASE("label selector operators") {
  json l = {{"app", "web"}, {"tier", "a"}};
  CHECK(LabelsMatch("app=web", l));
  CHECK(LabelsMatch("app==web", l));
  CHECK_FALSE(LabelsMatch("app!=web", l));
  CHECK(LabelsMatch("tier in (a, b)", l));
  CHECK_FALSE(LabelsMatch("tier notin (a)", l));
  CHECK(LabelsMatch("tier", l));
  CHECK_FALSE(LabelsMatch("!tier", l));
  CHECK(LabelsMatch("!missing,app=web", l));
  CHECK(LabelsMatch("missing notin (x)", l));
  CHECK(LabelsMatch("", nullptr));
  CHECK_FALSE(LabelsMatch("app=web", nullptr));
}

TEST_CASE("label selector from matchLabels and matchExpressions") {
  auto s = LabelSelector::FromObject(
      {{"matchLabels", {{"app", "web"}}},
       {"matchExpressions", json::array({{{"key", "tier"}, {"operator", "In"}, {"values", {"a", "b"}}}})}});
  REQUIRE(s.ok());
  CHECK(s->Matches(json{{"app", "web"}, {"tier", "b"}}));
  CHECK_FALSE(s->Matches(json{{"app", "web"}, {"tier", "c"}}));
  CHECK_FALSE(LabelSelector::FromObject({{"matchExpressions", json::array({{{"key", "x"}, {"operator", "Near"}}})}}).ok());
}

TEST_CASE("field selectors over pod fields") {
  std::string err;
  auto s = FieldSelector::Parse("spec.nodeName=n1,status.phase!=Failed", &err);
  REQUIRE(s);
  json pod = {{"metadata", {{"name", "p"}, {"namespace", "d"}}},
              {"spec", {{"nodeName", "n1"}}},
              {"status", {{"phase", "Running"}}}};
  CHECK(s->Matches(FieldValues("pods", pod)));
  pod["spec"]["nodeName"] = "n2";
  CHECK_FALSE(s->Matches(FieldValues("pods", pod)));
  CHECK(s->Unsupported(SupportedFields("pods", true)).empty());
  CHECK(s->Unsupported(SupportedFields("configmaps", true)) == "spec.nodeName");
  CHECK(*s->RequiredValue("spec.nodeName") == "n1");
  CHECK_FALSE(FieldSelector::Parse("justakey", &err));
}

}  // namespace
}  // namespace tusk::localkube
