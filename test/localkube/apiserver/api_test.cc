#include "test/localkube/apiserver/api.h"

#include <catch2/catch.hpp>

#include "common/base/files.h"
#include "test/localkube/apiserver/controllers.h"

namespace tusk::localkube {
namespace {

struct Fixture {
  explicit Fixture(size_t history = 100) : store(history), tokens("key"), api(&store, &registry, &tokens) {
    REQUIRE(api.Bootstrap().ok());
  }
  json Cm(const std::string& name, json extra = json::object()) {
    json o = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}};
    o.merge_patch(extra);
    return o;
  }
  std::string Rv(const json& o) { return o["metadata"]["resourceVersion"]; }
  Store store;
  Registry registry;
  TokenAuthority tokens;
  Api api;
};

TEST_CASE("create, update, no-op update and optimistic concurrency") {
  Fixture f;
  auto created = f.api.Create("configmaps", "default", f.Cm("a", {{"data", {{"k", "1"}}}}));
  REQUIRE(created.ok());
  json obj = created->object;
  CHECK(obj["metadata"]["uid"].get<std::string>().size() == 36);
  auto same = f.api.Update("configmaps", "default", "a", obj);
  REQUIRE(same.ok());
  CHECK(f.Rv(same->object) == f.Rv(obj));
  json changed = obj;
  changed["data"]["k"] = "2";
  auto updated = f.api.Update("configmaps", "default", "a", changed);
  REQUIRE(updated.ok());
  CHECK(std::stoull(f.Rv(updated->object)) > std::stoull(f.Rv(obj)));
  changed["data"]["k"] = "3";
  auto stale = f.api.Update("configmaps", "default", "a", changed);
  REQUIRE_FALSE(stale.ok());
  CHECK(stale.error().code == 409);
  auto dup = f.api.Create("configmaps", "default", f.Cm("a"));
  REQUIRE_FALSE(dup.ok());
  CHECK(dup.error().message == "configmaps \"a\" already exists");
  auto nons = f.api.Create("configmaps", "nowhere", f.Cm("a"));
  REQUIRE_FALSE(nons.ok());
  CHECK(nons.error().message == "namespaces \"nowhere\" not found");
}

TEST_CASE("status subresource splits spec and status writes") {
  Fixture f;
  json dep = json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
    "spec":{"replicas":1,"selector":{"matchLabels":{"a":"b"}},"template":{"spec":{"containers":[{"name":"c","image":"i"}]}}},
    "status":{"replicas":5}})");
  auto created = f.api.Create("deployments.apps", "default", dep);
  REQUIRE(created.ok());
  CHECK_FALSE(created->object.contains("status"));
  CHECK(created->object["metadata"]["generation"] == 1);
  json st = created->object;
  st["status"] = {{"readyReplicas", 1}};
  st["spec"]["replicas"] = 7;
  auto status = f.api.UpdateStatus("deployments.apps", "default", st);
  REQUIRE(status.ok());
  CHECK(status->object["status"]["readyReplicas"] == 1);
  CHECK(status->object["spec"]["replicas"] == 1);
  CHECK(status->object["metadata"]["generation"] == 1);
  auto spec = f.api.Patch("deployments.apps", "default", "d", PatchType::kMerge, R"({"spec":{"replicas":3}})");
  REQUIRE(spec.ok());
  CHECK(spec->object["metadata"]["generation"] == 2);
  CHECK(spec->object["status"]["readyReplicas"] == 1);
}

TEST_CASE("watch replays history, filters, and is Gone past it") {
  Fixture f(5);
  uint64_t start = f.store.current_rv();
  ListOptions opts;
  opts.resource_version = std::to_string(start);
  opts.label_selector = "w=yes";
  auto ch = f.api.Watch("configmaps", "default", opts);
  REQUIRE(ch.ok());
  REQUIRE(f.api.Create("configmaps", "default", f.Cm("in", {{"metadata", {{"labels", {{"w", "yes"}}}}}})).ok());
  REQUIRE(f.api.Create("configmaps", "default", f.Cm("out")).ok());
  REQUIRE(f.api.Patch("configmaps", "default", "in", PatchType::kMerge, R"({"metadata":{"labels":{"w":"no"}}})").ok());
  auto e1 = (*ch)->Pop(std::chrono::seconds(1));
  auto e2 = (*ch)->Pop(std::chrono::seconds(1));
  REQUIRE(e1);
  REQUIRE(e2);
  CHECK(e1->type == EventType::kAdded);
  CHECK(e2->type == EventType::kDeleted);  // left the selector
  CHECK_FALSE((*ch)->Pop(std::chrono::milliseconds(50)));
  for (int i = 0; i < 10; ++i) REQUIRE(f.api.Create("configmaps", "default", f.Cm("x" + std::to_string(i))).ok());
  auto gone = f.api.Watch("configmaps", "default", opts);
  REQUIRE_FALSE(gone.ok());
  CHECK(gone.error().code == 410);
  CHECK(gone.error().reason == "Expired");
}

TEST_CASE("finalizers, foreground and orphan deletion, garbage collection") {
  Fixture f;
  Controllers gc(&f.api);
  auto owner = f.api.Create("configmaps", "default", f.Cm("owner"));
  REQUIRE(owner.ok());
  json ref = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"name", "owner"}, {"uid", owner->object["metadata"]["uid"]}};
  REQUIRE(f.api.Create("configmaps", "default", f.Cm("dep", {{"metadata", {{"ownerReferences", {ref}}}}})).ok());
  DeleteOptions fg;
  fg.propagation_policy = "Foreground";
  auto deleting = f.api.Delete("configmaps", "default", "owner", fg);
  REQUIRE(deleting.ok());
  CHECK((*deleting)["metadata"]["finalizers"] == json({"foregroundDeletion"}));
  // Pass by pass: the dependent is deleted (itself in the foreground), then
  // released, then the owner is released.
  for (int i = 0; i < 5 && f.store.Get("configmaps", "default", "owner"); ++i) {
    CHECK(f.store.Get("configmaps", "default", "owner"));
    gc.RunOnce();
  }
  CHECK_FALSE(f.store.Get("configmaps", "default", "dep"));
  CHECK_FALSE(f.store.Get("configmaps", "default", "owner"));

  auto owner2 = f.api.Create("configmaps", "default", f.Cm("owner2"));
  ref["uid"] = owner2->object["metadata"]["uid"];
  REQUIRE(f.api.Create("configmaps", "default", f.Cm("dep2", {{"metadata", {{"ownerReferences", {ref}}}}})).ok());
  DeleteOptions orphan;
  orphan.propagation_policy = "Orphan";
  REQUIRE(f.api.Delete("configmaps", "default", "owner2", orphan).ok());
  gc.RunOnce();
  CHECK_FALSE(f.store.Get("configmaps", "default", "owner2"));
  auto dep2 = f.store.Get("configmaps", "default", "dep2");
  REQUIRE(dep2);
  CHECK_FALSE((*dep2)["metadata"].contains("ownerReferences"));
}

TEST_CASE("namespace deletion empties the namespace, then removes it") {
  Fixture f;
  Controllers controllers(&f.api);
  REQUIRE(f.api.Create("namespaces", "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "gone"}}}}).ok());
  REQUIRE(f.api.Create("configmaps", "gone", f.Cm("c")).ok());
  REQUIRE(f.api.Delete("namespaces", "", "gone").ok());
  auto ns = f.store.Get("namespaces", "", "gone");
  REQUIRE(ns);
  CHECK((*ns)["status"]["phase"] == "Terminating");
  auto refused = f.api.Create("configmaps", "gone", f.Cm("late"));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == 403);
  controllers.RunOnce();
  controllers.RunOnce();
  CHECK_FALSE(f.store.Get("configmaps", "gone", "c"));
  CHECK_FALSE(f.store.Get("namespaces", "", "gone"));
}

TEST_CASE("the journal restores objects and resourceVersions") {
  auto dir = TempDir::Make("localkube-store");
  REQUIRE(dir.ok());
  std::string rv;
  {
    Fixture f;
    REQUIRE(f.store.Open(dir->Sub("journal")).ok());
    auto c = f.api.Create("configmaps", "default", f.Cm("kept"));
    REQUIRE(c.ok());
    REQUIRE(f.api.Create("configmaps", "default", f.Cm("dropped")).ok());
    REQUIRE(f.api.Delete("configmaps", "default", "dropped").ok());
    rv = c->object["metadata"]["resourceVersion"];
  }
  Store store;
  REQUIRE(store.Open(dir->Sub("journal")).ok());
  auto kept = store.Get("configmaps", "default", "kept");
  REQUIRE(kept);
  CHECK((*kept)["metadata"]["resourceVersion"] == rv);
  CHECK_FALSE(store.Get("configmaps", "default", "dropped"));
  CHECK(store.current_rv() > std::stoull(rv));
}

}  // namespace
}  // namespace tusk::localkube
