#include "test/localkube/apiserver/table.h"

#include <catch2/catch.hpp>

namespace tusk::localkube {
namespace {

TEST_CASE("human durations") {
  using std::chrono::seconds;
  CHECK(HumanDuration(seconds(5)) == "5s");
  CHECK(HumanDuration(seconds(119)) == "119s");
  CHECK(HumanDuration(seconds(200)) == "3m20s");
  CHECK(HumanDuration(seconds(600)) == "10m");
  CHECK(HumanDuration(seconds(3 * 3600 + 600)) == "3h10m");
  CHECK(HumanDuration(seconds(30 * 3600)) == "30h");
  CHECK(HumanDuration(seconds(3 * 86400 + 7200)) == "3d2h");
  CHECK(HumanDuration(seconds(-5)) == "<invalid>");
}

TEST_CASE("jsonpath cells") {
  json o = json::parse(R"({"spec":{"n":3},"status":{"conditions":[{"type":"A","status":"False"},{"type":"Ready","status":"True"}]}})");
  CHECK(EvalJsonPath(o, ".spec.n") == 3);
  CHECK(EvalJsonPath(o, ".status.conditions[?(@.type==\"Ready\")].status") == "True");
  CHECK(EvalJsonPath(o, ".status.conditions[0].type") == "A");
  CHECK(EvalJsonPath(o, ".spec.missing").is_null());
}

TEST_CASE("pod status column follows kubectl's printer") {
  json pod = json::parse(R"({"metadata":{"name":"p"},"spec":{"containers":[{"name":"a"}]},
    "status":{"phase":"Running","containerStatuses":[{"name":"a","ready":false,"state":{"waiting":{"reason":"CrashLoopBackOff"}}}]}})");
  CHECK(PodStatusColumn(pod) == "CrashLoopBackOff");
  pod["status"]["containerStatuses"][0]["state"] = {{"terminated", {{"exitCode", 0}, {"reason", "Completed"}}}};
  CHECK(PodStatusColumn(pod) == "Completed");
  pod["status"]["containerStatuses"][0]["state"] = {{"running", json::object()}};
  CHECK(PodStatusColumn(pod) == "Running");
  pod["metadata"]["deletionTimestamp"] = "2025-01-01T00:00:00Z";
  CHECK(PodStatusColumn(pod) == "Terminating");
}

TEST_CASE("CRD printer columns and default columns") {
  ResourceInfo r;
  r.crd = true;
  r.kind = "Widget";
  r.group = "example.com";
  r.versions = {"v1"};
  r.printer_columns["v1"] = json::parse(R"([{"name":"Size","type":"integer","jsonPath":".spec.size"},
                                            {"name":"Phase","type":"string","jsonPath":".status.phase"}])");
  json w = json::parse(R"({"metadata":{"name":"w1","creationTimestamp":"2025-01-01T00:00:00Z"},"spec":{"size":4}})");
  json t = BuildTable(r, "v1", {w}, "None", std::chrono::system_clock::now());
  CHECK(t["columnDefinitions"].size() == 3);
  CHECK(t["columnDefinitions"][1]["name"] == "Size");
  CHECK(t["rows"][0]["cells"] == json::parse(R"(["w1",4,null])"));
  CHECK_FALSE(t["rows"][0].contains("object"));
  r.printer_columns.clear();
  t = BuildTable(r, "v1", {w}, "Metadata", std::chrono::system_clock::now());
  CHECK(t["columnDefinitions"][1]["name"] == "Age");
  CHECK(t["rows"][0]["object"]["kind"] == "PartialObjectMetadata");
}

ResourceInfo Builtin(const std::string& group, const std::string& resource) {
  ResourceInfo r;
  r.group = group;
  r.resource = resource;
  r.versions = {"v1"};
  return r;
}

TEST_CASE("Endpoints, Jobs and StorageClasses print as kubectl shows them") {
  auto now = std::chrono::system_clock::now();
  json ep = json::parse(R"({"metadata":{"name":"web"},"subsets":[{"addresses":[{"ip":"10.244.0.2"},{"ip":"10.244.0.3"},
    {"ip":"10.244.0.4"},{"ip":"10.244.0.5"}],"ports":[{"port":8080}]}]})");
  json t = BuildTable(Builtin("", "endpoints"), "v1", {ep}, "None", now);
  CHECK(t["rows"][0]["cells"][1] == "10.244.0.2:8080,10.244.0.3:8080,10.244.0.4:8080 + 1 more...");
  json job = json::parse(R"({"metadata":{"name":"j"},"spec":{"completions":2},"status":{"succeeded":2,
    "startTime":"2026-01-01T00:00:00Z","completionTime":"2026-01-01T00:00:07Z",
    "conditions":[{"type":"Complete","status":"True"}]}})");
  t = BuildTable(Builtin("batch", "jobs"), "v1", {job}, "None", now);
  CHECK(t["rows"][0]["cells"][1] == "Complete");
  CHECK(t["rows"][0]["cells"][2] == "2/2");
  CHECK(t["rows"][0]["cells"][3] == "7s");
  json sc = json::parse(R"({"metadata":{"name":"standard","annotations":{"storageclass.kubernetes.io/is-default-class":"true"}},
    "provisioner":"rancher.io/local-path","reclaimPolicy":"Delete","volumeBindingMode":"WaitForFirstConsumer"})");
  t = BuildTable(Builtin("storage.k8s.io", "storageclasses"), "v1", {sc}, "None", now);
  CHECK(t["rows"][0]["cells"][0] == "standard (default)");
  CHECK(t["rows"][0]["cells"][3] == "WaitForFirstConsumer");
}

}  // namespace
}  // namespace tusk::localkube
