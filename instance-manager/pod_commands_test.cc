// The commands the operator writes into an instance pod are commands this
// tusk-instance accepts: the pod builder and the flag parser are checked
// against each other, so renaming a flag on one side fails here, not in a
// pod's CrashLoopBackOff.
#include <cstdlib>

#include <catch2/catch.hpp>

#include "instance-manager/options.h"
#include "operator/specs/specs.h"
#include "operator/specs/test_clusters.h"

namespace tusk::instance {
namespace {

using op::specs::testing::Example;
using op::specs::testing::kSettings;

void CheckParses(const nlohmann::json& container) {
  const auto& argv = container["command"];
  REQUIRE(argv.size() >= 2);
  CHECK(argv[0] == op::specs::kInstanceBinary);
  std::vector<std::string> args;
  for (size_t i = 1; i < argv.size(); ++i) args.push_back(argv[i]);
  INFO("container " << container["name"] << ": " << argv.dump());
  auto parsed = ParseOptions(std::vector<std::string>(args.begin() + 1, args.end()));
  CHECK(parsed.ok());
  if (!parsed.ok()) FAIL(parsed.status().message());
}

TEST_CASE("every tusk-instance command in an instance pod parses") {
  // What the pod's environment provides.
  ::setenv("POD_NAME", "cluster-example-1", 1);
  ::setenv("NAMESPACE", "default", 1);
  ::setenv("CLUSTER_NAME", "cluster-example", 1);
  for (const auto& spec : {nlohmann::json::object(), nlohmann::json{{"walStorage", {{"size", "1Gi"}}}},
                           nlohmann::json{{"enableSuperuserAccess", true}, {"logLevel", "debug"}}}) {
    api::Cluster cluster = Example(spec);
    for (auto bootstrap : {op::specs::InstanceBootstrap::kInitdb, op::specs::InstanceBootstrap::kJoin}) {
      auto pod = op::specs::InstancePod(cluster, 1, bootstrap, "primary", kSettings);
      for (const auto& c : pod["spec"]["initContainers"]) {
        if (c["name"] != "bootstrap-controller") CheckParses(c);
      }
      for (const auto& c : pod["spec"]["containers"]) CheckParses(c);
    }
  }
}

}  // namespace
}  // namespace tusk::instance
