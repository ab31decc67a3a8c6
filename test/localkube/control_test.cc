#include <csignal>

#include <catch2/catch.hpp>

#include "common/base/files.h"
#include "test/localkube/control.h"
#include "test/localkube/fault_cli.h"
#include "test/localkube/pod_logs.h"

namespace tusk::localkube {
namespace {

using nlohmann::json;

StatusOr<FaultCommand> Parse(std::vector<std::string> args) { return ParseFaultArgs(args); }

TEST_CASE("fault kill: pod, namespace, container and signal become one request", "[control]") {
  auto cmd = Parse({"kill", "--dir", "/tmp/lk", "pg-1", "-n", "db", "-c", "postgres", "--signal", "TERM"});
  REQUIRE(cmd.ok());
  CHECK(cmd->dir == "/tmp/lk");
  CHECK(cmd->request == json{{"op", "kill"}, {"namespace", "db"}, {"pod", "pg-1"}, {"container", "postgres"},
                             {"signal", SIGTERM}});
  auto defaults = Parse({"kill", "--dir=/d", "web"});
  REQUIRE(defaults.ok());
  CHECK(defaults->request["namespace"] == "default");
  CHECK(defaults->request["signal"] == SIGKILL);
  CHECK(defaults->request["container"] == "");
}

TEST_CASE("fault partition and heal take a pod or a node, not both", "[control]") {
  auto node = Parse({"partition", "--dir", "/d", "--node", "localkube-node-2"});
  REQUIRE(node.ok());
  CHECK(node->request == json{{"op", "partition"}, {"node", "localkube-node-2"}});
  auto pod = Parse({"heal", "--dir", "/d", "web-0", "--namespace", "shop"});
  REQUIRE(pod.ok());
  CHECK(pod->request == json{{"op", "heal"}, {"namespace", "shop"}, {"pod", "web-0"}});
  CHECK_FALSE(Parse({"partition", "--dir", "/d", "web-0", "--node", "n"}).ok());
  CHECK_FALSE(Parse({"heal", "--dir", "/d"}).ok());
}

TEST_CASE("fault arguments that make no sense are refused with the reason", "[control]") {
  auto no_dir = Parse({"node-down", "localkube-node-1"});
  REQUIRE_FALSE(no_dir.ok());
  CHECK(no_dir.status().message() == "--dir is required");
  auto bad_signal = Parse({"kill", "--dir", "/d", "p", "--signal", "NOPE"});
  REQUIRE_FALSE(bad_signal.ok());
  CHECK(Parse({"explode", "--dir", "/d"}).status().message().find("unknown fault") != std::string::npos);
  CHECK_FALSE(Parse({"kill", "--dir", "/d", "a", "b"}).ok());
  CHECK_FALSE(Parse({"kill", "--dir", "/d", "a", "--node", "n"}).ok());
  CHECK_FALSE(Parse({"partition", "--dir", "/d", "a", "-c", "x"}).ok());
  CHECK(Parse({"node-down", "--dir", "/d", "localkube-node-3"})->request ==
        json{{"op", "node-down"}, {"node", "localkube-node-3"}});
}

TEST_CASE("the control socket answers each request with the handler's answer", "[control]") {
  auto dir = TempDir::Make("lk-control");
  REQUIRE(dir.ok());
  std::string path = dir->path() + "/control.sock";
  auto server = ControlServer::Listen(path, [](const json& r) {
    if (r.value("op", "") == "fail") return json{{"error", "pod default/x not found"}};
    return json{{"ok", true}, {"echo", r}};
  });
  REQUIRE(server.ok());
  auto answer = ControlCall(path, {{"op", "kill"}, {"pod", "a"}}, std::chrono::seconds(5));
  REQUIRE(answer.ok());
  CHECK((*answer)["echo"]["pod"] == "a");
  auto failed = ControlCall(path, {{"op", "fail"}}, std::chrono::seconds(5));
  REQUIRE(failed.ok());
  CHECK((*failed)["error"] == "pod default/x not found");
  server->reset();
  auto gone = ControlCall(path, {{"op", "kill"}}, std::chrono::seconds(1));
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.status().code() == StatusCode::kUnavailable);
}

json TwoContainerPod() {
  return json::parse(R"({"metadata": {"name": "web", "namespace": "default"},
    "spec": {"initContainers": [{"name": "setup"}], "containers": [{"name": "app"}, {"name": "sidecar"}]}})");
}

TEST_CASE("logs: the container is chosen as kubectl expects", "[control]") {
  json one = json::parse(R"({"metadata": {"name": "solo"}, "spec": {"containers": [{"name": "only"}]}})");
  CHECK(ChooseLogContainer(one, "").value() == "only");
  auto ambiguous = ChooseLogContainer(TwoContainerPod(), "");
  REQUIRE_FALSE(ambiguous.ok());
  CHECK(ambiguous.status().message() ==
        "a container name must be specified for pod web, choose one of: [app sidecar] or one of the init "
        "containers: [setup]");
  CHECK(ChooseLogContainer(TwoContainerPod(), "setup").value() == "setup");
  CHECK(ChooseLogContainer(TwoContainerPod(), "nope").status().message() == "container nope is not valid for pod web");
}

TEST_CASE("logs: tailLines counts lines from the end", "[control]") {
  CHECK(TailLines("a\nb\nc\n", 2) == "b\nc\n");
  CHECK(TailLines("a\nb\nc", 1) == "c");
  CHECK(TailLines("a\nb\n", 5) == "a\nb\n");
  CHECK(TailLines("a\nb\n", 0).empty());
  CHECK(TailLines("a\nb\n", -1) == "a\nb\n");
}

TEST_CASE("logs: following stops when the container's run is over", "[control]") {
  json pod = TwoContainerPod();
  CHECK(ContainerRunActive(pod, "app"));  // not reported yet
  pod["status"]["containerStatuses"] = json::parse(R"([
    {"name": "app", "restartCount": 0, "state": {"running": {}}},
    {"name": "sidecar", "restartCount": 1, "state": {"waiting": {"reason": "CrashLoopBackOff"}},
     "lastState": {"terminated": {"exitCode": 1}}}])");
  CHECK(ContainerRunActive(pod, "app"));
  CHECK_FALSE(ContainerRunActive(pod, "sidecar"));
  pod["status"]["containerStatuses"][0]["state"] = {{"terminated", {{"exitCode", 0}}}};
  CHECK_FALSE(ContainerRunActive(pod, "app"));
}

}  // namespace
}  // namespace tusk::localkube
