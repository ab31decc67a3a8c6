// The client against localkube's API server: every request kind, conflicts,
// informers across a restart and a forced 410, token rotation, and leader
// hand-over between two processes. Skipped (with "localkube unavailable")
// when no localkube binary can start an API server.
#include <catch2/catch.hpp>

#include <csignal>
#include <iostream>

#include "common/base/files.h"
#include "common/base/subprocess.h"
#include "common/k8s/http_kube_client.h"
#include "common/k8s/informer.h"
#include "common/k8s/testing/localkube.h"
#include "common/k8s/testing/tcp_proxy.h"
#include "test/unit/eventually.h"

namespace tusk::k8s {
namespace {

using testing::Localkube;

// Starts localkube or explains why the test is skipped.
#define LOCALKUBE_OR_SKIP(var, ...)                                    \
  auto var##_or = Localkube::Start(__VA_ARGS__);                       \
  if (!var##_or.ok()) {                                                \
    std::cout << var##_or.status().message() << std::endl;             \
    return;                                                            \
  }                                                                    \
  std::unique_ptr<Localkube> var = std::move(*var##_or)

std::unique_ptr<HttpKubeClient> Connect(const KubeConfig& config, Clock& clock) {
  HttpClientOptions opts;
  opts.max_retries = 2;
  auto c = HttpKubeClient::Create(config, clock, opts);
  REQUIRE(c.ok());
  return std::move(*c);
}

std::unique_ptr<HttpKubeClient> Connect(const Localkube& lk, Clock& clock) {
  auto config = LoadKubeconfigFile(lk.kubeconfig());
  REQUIRE(config.ok());
  return Connect(*config, clock);
}

Json ConfigMap(const std::string& name, const std::string& value) {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", "default"}, {"labels", {{"app", "k8s-it"}}}}},
          {"data", {{"key", value}}}};
}

const ResourceRef kConfigMaps = ConfigMapsResource().InNamespace("default");

TEST_CASE("Every request kind against the API server") {
  LOCALKUBE_OR_SKIP(lk);
  RealClock clock;
  auto client = Connect(*lk, clock);

  auto created = client->Create(kConfigMaps, ConfigMap("cm-1", "one"));
  REQUIRE(created.ok());
  CHECK_FALSE((*created)["metadata"].value("uid", "").empty());
  CHECK(client->Create(kConfigMaps, ConfigMap("cm-1", "again")).status().code() == StatusCode::kAlreadyExists);
  for (int i = 2; i <= 5; ++i) REQUIRE(client->Create(kConfigMaps, ConfigMap("cm-" + std::to_string(i), "x")).ok());

  auto got = client->Get(kConfigMaps.Named("cm-1"));
  REQUIRE(got.ok());
  CHECK((*got)["data"]["key"] == "one");
  auto missing = client->Get(kConfigMaps.Named("nope"));
  CHECK(missing.status().code() == StatusCode::kNotFound);
  CHECK(missing.status().message() == "configmaps \"nope\" not found");

  // Paging with limit/continue returns every object exactly once.
  ListOptions page;
  page.limit = 2;
  page.label_selector = "app=k8s-it";
  std::set<std::string> names;
  int pages = 0;
  do {
    auto list = client->List(kConfigMaps, page);
    REQUIRE(list.ok());
    for (const auto& item : list->items) names.insert(item["metadata"]["name"].get<std::string>());
    page.continue_token = list->continue_token;
    ++pages;
  } while (!page.continue_token.empty() && pages < 10);
  CHECK(names.size() == 5);
  CHECK(pages == 3);

  Json update = *got;
  update["data"]["key"] = "updated";
  auto updated = client->Update(kConfigMaps, update);
  REQUIRE(updated.ok());
  CHECK((*updated)["data"]["key"] == "updated");

  REQUIRE(client->Patch(kConfigMaps.Named("cm-1"), PatchType::kMerge, R"({"data":{"merge":"m"}})").ok());
  REQUIRE(client->Patch(kConfigMaps.Named("cm-1"), PatchType::kJson,
                        R"([{"op":"add","path":"/data/json","value":"j"}])").ok());
  REQUIRE(client->Patch(kConfigMaps.Named("cm-1"), PatchType::kStrategicMerge, R"({"data":{"smp":"s"}})").ok());
  auto applied = client->Patch(kConfigMaps.Named("cm-1"), PatchType::kApply,
                               R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-1"},"data":{"ssa":"a"}})",
                               {"tusk-it", true});
  REQUIRE(applied.ok());
  auto after = client->Get(kConfigMaps.Named("cm-1"));
  REQUIRE(after.ok());
  CHECK((*after)["data"]["merge"] == "m");
  CHECK((*after)["data"]["json"] == "j");
  CHECK((*after)["data"]["smp"] == "s");
  CHECK((*after)["data"]["ssa"] == "a");

  // The status subresource writes status only.
  Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"},
              {"metadata", {{"name", "p1"}, {"namespace", "default"}}},
              {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", "postgres:16"}}})}}}};
  auto p = client->Create(PodsResource().InNamespace("default"), pod);
  REQUIRE(p.ok());
  Json with_status = *p;
  with_status["status"]["phase"] = "Running";
  with_status["status"]["podIP"] = "10.0.0.9";
  auto st = client->UpdateStatus(PodsResource().InNamespace("default").Named("p1"), with_status);
  REQUIRE(st.ok());
  CHECK((*st)["status"]["podIP"] == "10.0.0.9");

  auto invalid = client->Create(kConfigMaps, ConfigMap("Not_A_Valid_Name", "x"));
  CHECK(invalid.status().code() == StatusCode::kInvalidArgument);
  CHECK_THAT(invalid.status().message(), Catch::Contains("metadata.name"));

  DeleteOptions del;
  del.propagation_policy = "Background";
  REQUIRE(client->Delete(kConfigMaps.Named("cm-2"), del).ok());
  CHECK(client->Get(kConfigMaps.Named("cm-2")).status().code() == StatusCode::kNotFound);
  CHECK(client->Delete(kConfigMaps.Named("cm-2")).code() == StatusCode::kNotFound);
  CHECK(client->connections_opened() <= 4);  // keep-alive: not one connection per request
}

TEST_CASE("Conflicts are detected: stale resourceVersion and delete preconditions") {
  LOCALKUBE_OR_SKIP(lk);
  RealClock clock;
  auto client = Connect(*lk, clock);
  auto v1 = client->Create(kConfigMaps, ConfigMap("race", "a"));
  REQUIRE(v1.ok());
  Json first = *v1, second = *v1;
  first["data"]["key"] = "from-first";
  second["data"]["key"] = "from-second";
  REQUIRE(client->Update(kConfigMaps, first).ok());
  auto lost = client->Update(kConfigMaps, second);
  CHECK(lost.status().code() == StatusCode::kConflict);
  CHECK_THAT(lost.status().message(), Catch::Contains("the object has been modified"));

  DeleteOptions stale;
  stale.precondition_resource_version = (*v1)["metadata"]["resourceVersion"].get<std::string>();
  CHECK(client->Delete(kConfigMaps.Named("race"), stale).code() == StatusCode::kConflict);
  DeleteOptions wrong_uid;
  wrong_uid.precondition_uid = "00000000-0000-0000-0000-000000000000";
  CHECK(client->Delete(kConfigMaps.Named("race"), wrong_uid).code() == StatusCode::kConflict);
  CHECK(client->Get(kConfigMaps.Named("race")).ok());
}

InformerOptions ConfigMapInformer() {
  InformerOptions o;
  o.resource = kConfigMaps;
  o.label_selector = "app=k8s-it";
  o.min_backoff = std::chrono::milliseconds(100);
  o.max_backoff = std::chrono::seconds(1);
  return o;
}

// The informer's cache holds exactly what a fresh list returns.
bool CacheMatchesServer(const Informer& informer, KubeClient& client) {
  ListOptions o;
  o.label_selector = "app=k8s-it";
  auto list = client.List(kConfigMaps, o);
  if (!list.ok()) return false;
  if (list->items.size() != informer.cache().size()) return false;
  for (const auto& item : list->items) {
    auto cached = informer.cache().Get("default/" + item["metadata"]["name"].get<std::string>());
    if (!cached || cached->resource_version != item["metadata"]["resourceVersion"]) return false;
  }
  return true;
}

TEST_CASE("An informer stays correct across an API server restart") {
  LOCALKUBE_OR_SKIP(lk);
  RealClock clock;
  auto client = Connect(*lk, clock);
  REQUIRE(client->Create(kConfigMaps, ConfigMap("before", "1")).ok());
  Informer informer(*client, clock, ConfigMapInformer());
  informer.Start();
  REQUIRE(informer.WaitForSync(std::chrono::seconds(10)));
  CHECK(informer.cache().size() == 1);

  REQUIRE(lk->Restart().ok());
  auto after = client->Create(kConfigMaps, ConfigMap("after", "2"));
  INFO(after.status().ToString());
  REQUIRE(after.ok());
  REQUIRE(client->Delete(kConfigMaps.Named("before")).ok());
  REQUIRE(Eventually([&] { return CacheMatchesServer(informer, *client); }, std::chrono::seconds(20)));
  CHECK(informer.cache().Get("default/after").has_value());
  CHECK_FALSE(informer.cache().Get("default/before").has_value());
  informer.Stop();
}

TEST_CASE("An informer re-lists after a forced 410 and reports what it missed") {
  LOCALKUBE_OR_SKIP(lk, std::vector<std::string>{"--watch-history", "10"});
  RealClock clock;
  auto direct = Connect(*lk, clock);
  auto proxy = testing::TcpProxy::Start(lk->port());
  REQUIRE(proxy.ok());
  auto config = LoadKubeconfigFile(lk->kubeconfig());
  REQUIRE(config.ok());
  config->server = "https://127.0.0.1:" + std::to_string((*proxy)->port());
  auto via_proxy = Connect(*config, clock);

  for (int i = 0; i < 3; ++i) REQUIRE(direct->Create(kConfigMaps, ConfigMap("old-" + std::to_string(i), "x")).ok());
  Informer informer(*via_proxy, clock, ConfigMapInformer());
  std::mutex mu;
  std::set<std::string> deleted;
  informer.AddHandler([&](EventKind kind, const CachedObject*, const CachedObject& o) {
    std::lock_guard<std::mutex> lock(mu);
    if (kind == EventKind::kDelete) deleted.insert(o.Key());
  });
  informer.Start();
  REQUIRE(informer.WaitForSync(std::chrono::seconds(10)));

  (*proxy)->Cut();  // the informer loses the server and keeps retrying
  REQUIRE(direct->Delete(kConfigMaps.Named("old-0")).ok());
  for (int i = 0; i < 30; ++i) REQUIRE(direct->Create(kConfigMaps, ConfigMap("new-" + std::to_string(i), "y")).ok());
  (*proxy)->Restore();

  REQUIRE(Eventually([&] { return informer.lists() >= 2 && CacheMatchesServer(informer, *direct); }, std::chrono::seconds(20)));
  CHECK(informer.cache().size() == 32);
  std::lock_guard<std::mutex> lock(mu);
  CHECK(deleted.count("default/old-0") == 1);
  informer.Stop();
}

TEST_CASE("A token file rotated under a running client is used for the next request") {
  LOCALKUBE_OR_SKIP(lk);
  RealClock clock;
  auto admin = LoadKubeconfigFile(lk->kubeconfig());
  REQUIRE(admin.ok());
  auto dir = TempDir::Make("k8s-token");
  REQUIRE(dir.ok());
  REQUIRE(WriteFileAtomic(dir->Sub("token"), "not-a-valid-token").ok());
  KubeConfig config = *admin;
  config.token.clear();
  config.token_file = dir->Sub("token");
  auto client = Connect(config, clock);
  auto refused = client->List(kConfigMaps, {});
  CHECK(refused.status().code() == StatusCode::kUnauthenticated);
  REQUIRE(WriteFileAtomic(dir->Sub("token"), admin->token + "\n").ok());  // rotation: rename over
  CHECK(client->List(kConfigMaps, {}).ok());
}

struct Candidate {
  std::string id;
  std::unique_ptr<Subprocess> process;
};

std::string LeaseHolder(KubeClient& client) {
  auto lease = client.Get(LeasesResource().InNamespace("default").Named("k8s-it-leader"));
  if (!lease.ok()) return "";
  return (*lease)["spec"].value("holderIdentity", "");
}

TEST_CASE("Leader election hands over between processes: kill -9 and clean stop") {
  LOCALKUBE_OR_SKIP(lk);
  const std::string probe = testing::BuiltProgram("k8s_leader_probe");
  REQUIRE_FALSE(probe.empty());
  RealClock clock;
  auto client = Connect(*lk, clock);
  // Short timings keep the test quick; the defaults are 15 s / 10 s / 2 s.
  const int lease_ms = 3000, renew_ms = 2000, retry_ms = 500;
  auto start = [&](const std::string& id) {
    SubprocessOptions o;
    o.argv = {probe, lk->kubeconfig(), "default", "k8s-it-leader", id, std::to_string(lease_ms),
              std::to_string(renew_ms), std::to_string(retry_ms)};
    o.stdout_mode = OutputMode::kDiscard;
    o.stderr_mode = OutputMode::kDiscard;
    auto p = Subprocess::Start(o);
    REQUIRE(p.ok());
    return Candidate{id, std::move(*p)};
  };
  Candidate a = start("candidate-a");
  REQUIRE(Eventually([&] { return LeaseHolder(*client) == "candidate-a"; }, std::chrono::seconds(20)));
  Candidate b = start("candidate-b");
  Candidate c = start("candidate-c");

  // kill -9: nothing is released; another candidate takes over once the
  // lease expires (lease duration plus at most one retry period to notice).
  auto t0 = std::chrono::steady_clock::now();
  REQUIRE(a.process->Signal(SIGKILL).ok());
  REQUIRE(Eventually([&] { auto h = LeaseHolder(*client); return h == "candidate-b" || h == "candidate-c"; },
                     std::chrono::milliseconds(lease_ms + 2 * retry_ms + 5000)));
  auto takeover_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "hand-over after kill -9: " << takeover_ms << " ms (lease " << lease_ms << " ms)" << std::endl;

  // Clean stop: the leader releases the lease, the other takes it at its next retry.
  Candidate& leader = LeaseHolder(*client) == "candidate-b" ? b : c;
  Candidate& other = &leader == &b ? c : b;
  t0 = std::chrono::steady_clock::now();
  REQUIRE(leader.process->Signal(SIGTERM).ok());
  REQUIRE(Eventually([&] { return LeaseHolder(*client) == other.id; }, std::chrono::milliseconds(2000 + 3000)));
  auto release_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  std::cout << "hand-over after clean stop: " << release_ms << " ms" << std::endl;
  auto exit = leader.process->Communicate(std::chrono::seconds(10));
  REQUIRE(exit.ok());
  CHECK(exit->exit.success());
  REQUIRE(other.process->Signal(SIGTERM).ok());
  other.process->Communicate(std::chrono::seconds(10)).status().IgnoreError();
}

}  // namespace
}  // namespace tusk::k8s
