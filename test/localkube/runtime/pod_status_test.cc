#include "test/localkube/runtime/pod_status.h"

#include <catch2/catch.hpp>

namespace tusk::localkube {
namespace {

using nlohmann::json;

PodSpec Spec(const std::string& policy, int init_count, int main_count) {
  json init = json::array(), main = json::array();
  for (int i = 0; i < init_count; ++i) init.push_back({{"name", "init" + std::to_string(i)}, {"image", "debian:bookworm"}});
  for (int i = 0; i < main_count; ++i) main.push_back({{"name", "c" + std::to_string(i)}, {"image", "debian:bookworm"}});
  return *ParsePod({{"metadata", {{"name", "p"}, {"uid", "u"}}},
                    {"spec", {{"restartPolicy", policy}, {"initContainers", init}, {"containers", main}}}});
}

ContainerRecord Running(bool ready = true) {
  ContainerRecord r;
  r.state = ContainerRecord::State::kRunning;
  r.ready = ready;
  r.started = true;
  return r;
}

ContainerRecord Exited(int code) {
  ContainerRecord r;
  r.state = ContainerRecord::State::kTerminated;
  r.terminated = MakeTerminated(code, 0, WallTime{}, WallTime{});
  return r;
}

ContainerRecord CrashLooping() {
  ContainerRecord r;
  r.waiting_reason = "CrashLoopBackOff";
  r.last_terminated = MakeTerminated(1, 0, WallTime{}, WallTime{});
  r.restart_count = 3;
  return r;
}

json ConditionOf(const json& status, const std::string& type) {
  for (const auto& c : status["conditions"]) {
    if (c["type"] == type) return c;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("phase: Pending while init runs or a container was never started", "[status]") {
  CHECK(PodPhase(Spec("Always", 1, 1), {ContainerRecord{}}, {ContainerRecord{}}) == "Pending");
  CHECK(PodPhase(Spec("Always", 1, 1), {Exited(1)}, {ContainerRecord{}}) == "Pending");
  CHECK(PodPhase(Spec("Always", 0, 2), {}, {Running(), ContainerRecord{}}) == "Pending");
}

TEST_CASE("phase: Running while a container runs or will restart", "[status]") {
  CHECK(PodPhase(Spec("Always", 1, 1), {Exited(0)}, {Running()}) == "Running");
  CHECK(PodPhase(Spec("Always", 0, 1), {}, {CrashLooping()}) == "Running");
  CHECK(PodPhase(Spec("Always", 0, 1), {}, {Exited(0)}) == "Running");
  CHECK(PodPhase(Spec("OnFailure", 0, 2), {}, {Exited(0), CrashLooping()}) == "Running");
}

TEST_CASE("phase: Succeeded and Failed once nothing restarts", "[status]") {
  CHECK(PodPhase(Spec("Never", 0, 2), {}, {Exited(0), Exited(0)}) == "Succeeded");
  CHECK(PodPhase(Spec("OnFailure", 0, 1), {}, {Exited(0)}) == "Succeeded");
  CHECK(PodPhase(Spec("Never", 0, 2), {}, {Exited(0), Exited(2)}) == "Failed");
  CHECK(PodPhase(Spec("Never", 1, 1), {Exited(1)}, {ContainerRecord{}}) == "Failed");
}

TEST_CASE("status: container states, restart counts and Ready follow the records", "[status]") {
  const WallTime now = WallTime(std::chrono::seconds(1'700'000'000));
  PodFacts facts{"10.244.0.9", "10.243.255.1", now, true, false};
  ContainerRecord crash = CrashLooping();
  json s = ComputePodStatus(Spec("Always", 0, 2), {}, {Running(true), crash}, facts, json(), now);
  CHECK(s["phase"] == "Running");
  CHECK(s["podIP"] == "10.244.0.9");
  CHECK(s["hostIP"] == "10.243.255.1");
  CHECK(s["startTime"] == "2023-11-14T22:13:20Z");
  CHECK(s["containerStatuses"][0]["state"].contains("running"));
  CHECK(s["containerStatuses"][1]["state"]["waiting"]["reason"] == "CrashLoopBackOff");
  CHECK(s["containerStatuses"][1]["lastState"]["terminated"]["exitCode"] == 1);
  CHECK(s["containerStatuses"][1]["restartCount"] == 3);
  CHECK(ConditionOf(s, "Ready")["status"] == "False");
  CHECK(ConditionOf(s, "Ready")["reason"] == "ContainersNotReady");

  json ready = ComputePodStatus(Spec("Always", 0, 1), {}, {Running(true)}, facts, json(), now);
  CHECK(ConditionOf(ready, "Ready")["status"] == "True");
  CHECK(ConditionOf(ready, "ContainersReady")["status"] == "True");
  CHECK(ConditionOf(ready, "Initialized")["status"] == "True");
}

TEST_CASE("status: a condition keeps its transition time until it flips", "[status]") {
  const WallTime t0 = WallTime(std::chrono::seconds(1'700'000'000));
  const WallTime t1 = t0 + std::chrono::seconds(30);
  PodFacts facts{"10.244.0.9", "", t0, true, false};
  json first = ComputePodStatus(Spec("Always", 0, 1), {}, {Running(false)}, facts, json(), t0);
  json same = ComputePodStatus(Spec("Always", 0, 1), {}, {Running(false)}, facts, first, t1);
  CHECK(ConditionOf(same, "Ready")["lastTransitionTime"] == FormatRfc3339(t0));
  json flipped = ComputePodStatus(Spec("Always", 0, 1), {}, {Running(true)}, facts, same, t1);
  CHECK(ConditionOf(flipped, "Ready")["lastTransitionTime"] == FormatRfc3339(t1));
}

TEST_CASE("status: exit reasons are Completed and Error, signals become 128+n", "[status]") {
  CHECK(MakeTerminated(0, 0, {}, {}).reason == "Completed");
  CHECK(MakeTerminated(3, 0, {}, {}).reason == "Error");
  CHECK(MakeTerminated(137, 9, {}, {}).reason == "Error");
}

}  // namespace tusk::localkube
