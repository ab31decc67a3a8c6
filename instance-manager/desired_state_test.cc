// The two sources of the desired state: the Cluster watched on the API server
// (against the in-memory fake) and the file, both through the one reader.
#include "instance-manager/desired_state.h"

#include <poll.h>

#include <catch2/catch.hpp>

#include "common/base/files.h"
#include "test/fakes/fake_kube_client.h"
#include "test/unit/eventually.h"

namespace tusk::instance {
namespace {

using namespace std::chrono_literals;

const k8s::ResourceRef kClusters = k8s::CnpgResource("clusters").InNamespace("db");

nlohmann::json ClusterDoc(const std::string& name, const std::string& primary) {
  return {{"apiVersion", "postgresql.cnpg.io/v1"},
          {"kind", "Cluster"},
          {"metadata", {{"name", name}, {"namespace", "db"}}},
          {"spec", {{"instances", 2}, {"storage", {{"size", "1Gi"}}},
                    {"postgresql", {{"parameters", {{"work_mem", "8MB"}}}}}}},
          {"status", {{"currentPrimary", primary}, {"instanceNames", {name + "-1", name + "-2"}}}}};
}

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

// Read() once it succeeds with `check` true of the view.
bool EventuallyView(ClusterSource& source, const std::function<bool(const pg::ClusterView&)>& check) {
  return Eventually([&] {
    auto v = source.Read();
    return v.ok() && check(*v);
  });
}

// Edits the spec (or, through the status subresource, the status) as the
// user (or the operator) would.
Status Edit(k8s::FakeKubeClient& api, const std::string& name,
            const std::function<void(nlohmann::json&)>& edit) {
  ASSIGN_OR_RETURN(nlohmann::json doc, api.Get(kClusters.Named(name)));
  edit(doc);
  return api.Update(kClusters, doc).status();
}
Status EditStatus(k8s::FakeKubeClient& api, const std::string& name,
                  const std::function<void(nlohmann::json&)>& edit) {
  ASSIGN_OR_RETURN(nlohmann::json doc, api.Get(kClusters.Named(name)));
  edit(doc);
  return api.UpdateStatus(kClusters.Named(name), doc).status();
}

// A source on Cluster db/pg that has had the API server's first answer.
std::unique_ptr<KubeDesiredState> Synced(std::shared_ptr<k8s::FakeKubeClient> api, Clock& clock) {
  auto source = KubeDesiredState::Start(std::move(api), clock, "db", "pg");
  REQUIRE(source.ok());
  REQUIRE((*source)->WaitReady(5s).ok());
  return std::move(*source);
}

}  // namespace

TEST_CASE("KubeDesiredState follows its own Cluster and wakes fd() on each change") {
  auto api = std::make_shared<k8s::FakeKubeClient>();
  REQUIRE(api->Create(kClusters, ClusterDoc("pg", "pg-1")).ok());
  REQUIRE(api->Create(kClusters, ClusterDoc("other", "other-1")).ok());
  RealClock clock;
  auto source = Synced(api, clock);
  KubeDesiredState& s = *source;
  CHECK(Eventually([&] { return Readable(s.fd()); }));
  CHECK(s.Drain());
  CHECK_FALSE(Readable(s.fd()));
  auto v = s.Read();
  REQUIRE(v.ok());
  CHECK(v->name == "pg");
  CHECK(v->namespace_name == "db");
  CHECK(v->current_primary == "pg-1");
  CHECK(v->parameters.at("work_mem") == "8MB");
  CHECK(v->ha_slots);  // defaulted as the file path defaults it

  // A status edit (a failover decision) reaches Read() and wakes the loop.
  REQUIRE(EditStatus(*api, "pg", [](nlohmann::json& c) { c["status"]["targetPrimary"] = "pg-2"; }).ok());
  CHECK(Eventually([&] { return Readable(s.fd()); }));
  CHECK(s.Drain());
  CHECK(EventuallyView(s, [](const pg::ClusterView& c) { return c.target_primary == "pg-2"; }));
  // Only its own Cluster is watched: the selector names it.
  CHECK(api->open_watches() == 1);
  CHECK(s.Read()->name == "pg");
}

TEST_CASE("KubeDesiredState keeps the last good Cluster through API errors and bad objects") {
  auto api = std::make_shared<k8s::FakeKubeClient>();
  REQUIRE(api->Create(kClusters, ClusterDoc("pg", "pg-1")).ok());
  FakeClock clock;  // the informer's back-off is a timer on it
  auto source = Synced(api, clock);
  KubeDesiredState& s = *source;
  REQUIRE(s.Read().ok());

  // The API server goes away: three reconnects fail, and through them and
  // their back-off Read() answers from the last object.
  const int64_t watches = api->calls("watch");
  api->FailNext("watch", UnavailableError("connection refused"), 3);
  api->CloseWatches();
  int reads = 0;
  bool lost = false;
  CHECK(Eventually([&] {
    auto v = s.Read();
    if (!v.ok() || v->current_primary != "pg-1") lost = true;
    ++reads;
    if (clock.PendingTimers() > 0) clock.Advance(1min);
    return lost || api->calls("watch") >= watches + 4;  // three failures, then a watch that holds
  }));
  CHECK_FALSE(lost);
  CHECK(reads > 0);
  // Back: an edit made meanwhile arrives.
  REQUIRE(EditStatus(*api, "pg", [](nlohmann::json& c) { c["status"]["currentPrimary"] = "pg-2"; }).ok());
  CHECK(Eventually([&] {
    if (clock.PendingTimers() > 0) clock.Advance(1min);
    auto v = s.Read();
    return v.ok() && v->current_primary == "pg-2";
  }));

  // An object the one reader refuses is an error naming the field; the
  // manager keeps what it had, and a good object is read again.
  REQUIRE(Edit(*api, "pg", [](nlohmann::json& c) { c["spec"]["postgresql"]["parameters"]["work_mem"] = 64; }).ok());
  CHECK(Eventually([&] {
    auto v = s.Read();
    return !v.ok() && v.status().message().find("spec.postgresql.parameters.work_mem") != std::string::npos;
  }));
  REQUIRE(Edit(*api, "pg", [](nlohmann::json& c) { c["spec"]["postgresql"]["parameters"]["work_mem"] = "64MB"; }).ok());
  CHECK(EventuallyView(s, [](const pg::ClusterView& c) { return c.parameters.at("work_mem") == "64MB"; }));
}

TEST_CASE("KubeDesiredState keeps the last good Cluster when the object is deleted") {
  auto api = std::make_shared<k8s::FakeKubeClient>();
  REQUIRE(api->Create(kClusters, ClusterDoc("pg", "pg-1")).ok());
  RealClock clock;
  auto source = Synced(api, clock);
  KubeDesiredState& s = *source;
  REQUIRE(s.Read().ok());
  s.Drain();  // the first list's wake-up has been written before WaitReady returns
  REQUIRE(api->Delete(kClusters.Named("pg")).ok());
  REQUIRE(Eventually([&] { return Readable(s.fd()); }));  // the deletion has been seen
  // The pod keeps running on what it was last told; the operator removes it if it must.
  auto v = s.Read();
  REQUIRE(v.ok());
  CHECK(v->current_primary == "pg-1");
}

TEST_CASE("KubeDesiredState before any answer, and for a Cluster that does not exist") {
  auto api = std::make_shared<k8s::FakeKubeClient>();
  FakeClock clock;
  api->FailNext("list", UnavailableError("connection refused"), 1);
  auto source = KubeDesiredState::Start(api, clock, "db", "pg");
  REQUIRE(source.ok());
  KubeDesiredState& s = **source;
  REQUIRE(Eventually([&] { return clock.PendingTimers() > 0; }));
  CHECK(s.Read().status().code() == StatusCode::kUnavailable);
  CHECK(s.WaitReady(50ms).code() == StatusCode::kUnavailable);
  clock.Advance(1min);
  REQUIRE(s.WaitReady(5s).ok());
  CHECK(s.Read().status().code() == StatusCode::kNotFound);
  CHECK_THAT(s.Read().status().message(), Catch::Contains("db/pg"));

  CHECK_FALSE(KubeDesiredState::Start(api, clock, "", "pg").ok());
}

TEST_CASE("the file source reads the same way: defaults, validation, numbers refused") {
  auto dir = TempDir::Make("desired-state");
  REQUIRE(dir.ok());
  const std::string path = dir->Sub("pg.json");
  auto doc = ClusterDoc("pg", "pg-1");
  REQUIRE(WriteFileAtomic(path, doc.dump()).ok());
  auto source = FileDesiredState::Open(path);
  REQUIRE(source.ok());
  auto v = (*source)->Read();
  REQUIRE(v.ok());
  CHECK(v->smart_shutdown_timeout_s == 180);
  CHECK(v->parameters.at("work_mem") == "8MB");

  // As the API server refuses it: the CRD types parameters as strings.
  doc["spec"]["postgresql"]["parameters"]["max_connections"] = 200;
  REQUIRE(WriteFileAtomic(path, doc.dump()).ok());
  CHECK((*source)->Drain());
  auto numeric = (*source)->Read();
  REQUIRE_FALSE(numeric.ok());
  CHECK_THAT(numeric.status().message(), Catch::Contains(path));
  CHECK_THAT(numeric.status().message(), Catch::Contains("spec.postgresql.parameters.max_connections"));
  CHECK_THAT(numeric.status().message(), Catch::Contains("must be of type string"));

  // What admission would refuse is refused here too.
  doc["spec"]["postgresql"]["parameters"]["max_connections"] = "200";
  doc["spec"].erase("storage");
  REQUIRE(WriteFileAtomic(path, doc.dump()).ok());
  CHECK_THAT((*source)->Read().status().message(), Catch::Contains("spec.storage.size"));
  REQUIRE(WriteFileAtomic(path, "{not json").ok());
  CHECK_FALSE((*source)->Read().ok());
}

TEST_CASE("OpenDesiredState: a file, the API server, or a clear refusal") {
  Options o;
  RealClock clock;
  auto none = OpenDesiredState(o, clock);
  REQUIRE_FALSE(none.ok());
  CHECK_THAT(none.status().message(), Catch::Contains("--cluster-file"));
  o.api_server = true;
  o.kubeconfig = "/nonexistent/kubeconfig";
  auto unnamed = OpenDesiredState(o, clock);
  REQUIRE_FALSE(unnamed.ok());
  CHECK_THAT(unnamed.status().message(), Catch::Contains("CLUSTER_NAME"));
  o.cluster_name = "pg";
  CHECK_FALSE(OpenDesiredState(o, clock).ok());  // no such kubeconfig
}

}  // namespace tusk::instance
