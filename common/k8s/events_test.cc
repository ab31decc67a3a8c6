#include "common/k8s/events.h"

#include <catch2/catch.hpp>

#include "common/k8s/labels.h"
#include "common/k8s/merge_patch.h"
#include "common/k8s/owner.h"
#include "test/fakes/fake_kube_client.h"

namespace tusk::k8s {
namespace {

Json Cluster() {
  return {{"apiVersion", "postgresql.cnpg.io/v1"},
          {"kind", "Cluster"},
          {"metadata", {{"name", "pg"}, {"namespace", "ns"}, {"uid", "u-1"}, {"resourceVersion", "5"}}}};
}

TEST_CASE("Repeated events are aggregated into one Event with a count") {
  FakeKubeClient api;
  FakeClock clock;
  EventRecorder rec(api, clock, "tusk-operator", "node-1");
  REQUIRE(rec.Record(Cluster(), kEventNormal, "SwitchoverStarted", "Switching over to pg-2").ok());
  clock.Advance(std::chrono::seconds(30));
  REQUIRE(rec.Record(Cluster(), kEventNormal, "SwitchoverStarted", "Switching over to pg-2").ok());
  REQUIRE(rec.Record(Cluster(), kEventNormal, "SwitchoverStarted", "Switching over to pg-2").ok());
  REQUIRE(rec.Record(Cluster(), kEventWarning, "FailoverFailed", "no replica is ready").ok());
  auto events = api.List(EventsResource().InNamespace("ns"), {});
  REQUIRE(events.ok());
  REQUIRE(events->items.size() == 2);
  const Json* switchover = nullptr;
  for (const auto& e : events->items) {
    if (e["reason"] == "SwitchoverStarted") switchover = &e;
  }
  REQUIRE(switchover != nullptr);
  CHECK((*switchover)["count"] == 3);
  CHECK((*switchover)["involvedObject"]["kind"] == "Cluster");
  CHECK((*switchover)["involvedObject"]["uid"] == "u-1");
  CHECK((*switchover)["source"]["component"] == "tusk-operator");
  CHECK((*switchover)["firstTimestamp"] == "2023-11-14T22:13:20Z");
  CHECK((*switchover)["lastTimestamp"] == "2023-11-14T22:13:50Z");
}

TEST_CASE("Many different messages for one reason are combined") {
  FakeKubeClient api;
  FakeClock clock;
  EventRecorder rec(api, clock, "tusk-operator");
  for (int i = 0; i < 30; ++i) {
    REQUIRE(rec.Record(Cluster(), kEventWarning, "ReplicaLagging", "lag " + std::to_string(i) + " bytes").ok());
  }
  auto events = api.List(EventsResource().InNamespace("ns"), {});
  REQUIRE(events.ok());
  CHECK(events->items.size() == 11);  // ten distinct, then one combined event
  bool combined = false;
  for (const auto& e : events->items) {
    if (e["message"].get<std::string>().rfind("(combined from similar events): ", 0) == 0) {
      combined = true;
      CHECK(e["count"] == 20);
    }
  }
  CHECK(combined);
}

TEST_CASE("An aggregated Event deleted on the server is written anew") {
  FakeKubeClient api;
  FakeClock clock;
  EventRecorder rec(api, clock, "tusk-operator");
  REQUIRE(rec.Record(Cluster(), kEventNormal, "Created", "created pod pg-1").ok());
  auto first = api.List(EventsResource().InNamespace("ns"), {});
  REQUIRE(first->items.size() == 1);
  REQUIRE(api.Delete(EventsResource().InNamespace("ns").Named(first->items[0]["metadata"]["name"])).ok());
  REQUIRE(rec.Record(Cluster(), kEventNormal, "Created", "created pod pg-1").ok());
  CHECK(api.List(EventsResource().InNamespace("ns"), {})->items.size() == 1);
}

TEST_CASE("Controller references: set once, replace a previous controller, look up") {
  Json pod = {{"metadata", {{"name", "pg-1"}, {"ownerReferences", Json::array({{{"uid", "other"}, {"controller", true}}})}}}};
  SetControllerReference(pod, Cluster());
  auto ref = GetControllerOf(pod);
  REQUIRE(ref.has_value());
  CHECK((*ref)["kind"] == "Cluster");
  CHECK((*ref)["blockOwnerDeletion"] == true);
  CHECK(pod["metadata"]["ownerReferences"].size() == 1);
  CHECK(IsControlledBy(pod, "u-1"));
  CHECK_FALSE(IsControlledBy(pod, "other"));
}

TEST_CASE("Merge patches: computed patch applied to the source yields the target") {
  Json from = {{"spec", {{"instances", 3}, {"storage", {{"size", "1Gi"}}}, {"old", true}}}, {"keep", 1}};
  Json to = {{"spec", {{"instances", 5}, {"storage", {{"size", "1Gi"}}}}}, {"keep", 1}};
  Json patch = CreateMergePatch(from, to);
  CHECK(patch == Json::parse(R"({"spec":{"instances":5,"old":null}})"));
  ApplyMergePatch(from, patch);
  CHECK(from == to);
}

TEST_CASE("Label selectors: equality, inequality, existence and set terms") {
  std::map<std::string, std::string> labels = {{"cnpg.io/cluster", "pg"}, {"role", "primary"}};
  auto match = [&](const std::string& s) { return LabelSelector::Parse(s)->Matches(labels); };
  CHECK(match(""));
  CHECK(match("cnpg.io/cluster=pg"));
  CHECK(match("cnpg.io/cluster==pg,role"));
  CHECK_FALSE(match("role!=primary"));
  CHECK(match("!missing"));
  CHECK_FALSE(match("!role"));
  CHECK(match("role in (primary, replica)"));
  CHECK_FALSE(match("role notin (primary)"));
  CHECK_FALSE(LabelSelector::Parse("role in primary").ok());
}

}  // namespace
}  // namespace tusk::k8s
