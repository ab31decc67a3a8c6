// The Cluster controller's plan, table by table: what a reconcile decides
// from what it observed, with no API server and no pods.
#include "operator/cluster/plan.h"

#include <catch2/catch.hpp>

#include "operator/specs/test_clusters.h"

namespace tusk::op::cluster {
namespace {

using specs::testing::Example;
using specs::testing::kSettings;

constexpr char kNow[] = "2026-12-04T10:00:00.000000Z";

// Every support object of cluster-example already exists.
ObservedCluster Settled(api::Cluster cluster) {
  ObservedCluster o;
  o.cluster = std::move(cluster);
  o.now = kNow;
  o.secrets = {"cluster-example-ca", "cluster-example-server", "cluster-example-replication", "cluster-example-app"};
  o.services = {"cluster-example-rw", "cluster-example-ro", "cluster-example-r"};
  o.pdbs = {"cluster-example", "cluster-example-primary"};
  o.service_account = o.role = o.role_binding = true;
  return o;
}

pb::InstanceStatus Report(bool primary, bool ready = true) {
  pb::InstanceStatus s;
  s.set_role(primary ? pb::ROLE_PRIMARY : pb::ROLE_REPLICA);
  s.set_in_recovery(!primary);
  s.set_ready(ready);
  s.set_postgres_running(true);
  s.set_timeline_id(1);
  s.set_system_identifier(7300000000000000001ull);
  return s;
}

// Instance `serial` with its PVC and a pod, ready and reporting as given.
void AddInstance(ObservedCluster& o, int serial, std::optional<pb::InstanceStatus> report, bool pod = true) {
  ObservedInstance i;
  i.serial = serial;
  i.name = "cluster-example-" + std::to_string(serial);
  i.data_pvc = true;
  i.data_pvc_phase = "Bound";
  if (pod) {
    i.pod = Json{{"metadata", {{"name", i.name}}}};
    i.pod_ip = "10.0.0." + std::to_string(serial);
    i.pod_ready = report && report->ready();
    std::string role = report && report->role() == pb::ROLE_PRIMARY ? "primary" : "replica";
    i.role_label = i.legacy_role_label = role;
  }
  if (report) {
    InstanceReport r;
    r.connected = true;
    r.status = *report;
    i.report = r;
  }
  o.instances[serial] = i;
}

std::vector<std::string> Created(const Plan& plan, const std::string& resource) {
  std::vector<std::string> out;
  for (const auto& a : plan.actions) {
    if (a.ref.resource != resource) continue;
    if (a.kind == Action::Kind::kCreate || a.kind == Action::Kind::kCreateCredentials ||
        a.kind == Action::Kind::kCreateTls) {
      out.push_back(a.ref.name);
    }
  }
  return out;
}

std::vector<std::string> Deleted(const Plan& plan) {
  std::vector<std::string> out;
  for (const auto& a : plan.actions) {
    if (a.kind == Action::Kind::kDelete) out.push_back(a.ref.resource + "/" + a.ref.name);
  }
  return out;
}

// The Cluster after its status patch landed.
api::Cluster Patched(const api::Cluster& c, const Plan& plan) {
  Json doc = api::ToJson(c);
  doc.merge_patch(plan.status_patch);
  auto out = api::ClusterFromJson(doc);
  REQUIRE(out.ok());
  return *out;
}

api::Cluster WithStatus(const Json& status, const Json& spec = Json::object()) {
  api::Cluster c = Example(spec);
  Json doc = api::ToJson(c);
  doc["status"] = status;
  auto out = api::ClusterFromJson(doc);
  REQUIRE(out.ok());
  api::ApplyDefaults(&*out);
  return *out;
}

TEST_CASE("a new Cluster first names its primary in the status, with every support object") {
  ObservedCluster o;
  o.cluster = Example();
  o.now = kNow;
  Plan plan = PlanCluster(o, kSettings);
  CHECK(Created(plan, "pods").empty());  // not before the status names the primary
  CHECK(Created(plan, "secrets") == std::vector<std::string>{"cluster-example-ca", "cluster-example-server",
                                                             "cluster-example-replication", "cluster-example-app"});
  CHECK(Created(plan, "services") ==
        std::vector<std::string>{"cluster-example-rw", "cluster-example-ro", "cluster-example-r"});
  CHECK(Created(plan, "serviceaccounts") == std::vector<std::string>{"cluster-example"});
  CHECK(Created(plan, "roles") == std::vector<std::string>{"cluster-example"});
  CHECK(Created(plan, "rolebindings") == std::vector<std::string>{"cluster-example"});
  CHECK(Created(plan, "poddisruptionbudgets").size() == 2);
  // The CA comes before the leaves it signs.
  REQUIRE(plan.actions[0].kind == Action::Kind::kCreateTls);
  CHECK(plan.actions[0].tls == specs::TlsSecretKind::kCa);
  const Json& st = plan.status_patch["status"];
  CHECK(st["targetPrimary"] == "cluster-example-1");
  CHECK(st["targetPrimaryTimestamp"] == kNow);
  CHECK(st["latestGeneratedNode"] == 1);
  CHECK(st["phase"] == "Setting up primary");
  CHECK(st["phaseReason"] == "Creating primary instance cluster-example-1");
  CHECK(st["writeService"] == "cluster-example-rw");
  CHECK(st["readService"] == "cluster-example-r");
  CHECK(st["selector"] == "cnpg.io/cluster=cluster-example,cnpg.io/podRole=instance");
  CHECK(st["conditions"][0]["type"] == "Ready");
  CHECK(st["conditions"][0]["status"] == "False");
}

TEST_CASE("the named primary is created by initdb on its own PVC") {
  ObservedCluster o = Settled(WithStatus({{"targetPrimary", "cluster-example-1"}, {"latestGeneratedNode", 1}}));
  Plan plan = PlanCluster(o, kSettings);
  CHECK(Created(plan, "persistentvolumeclaims") == std::vector<std::string>{"cluster-example-1"});
  REQUIRE(Created(plan, "pods") == std::vector<std::string>{"cluster-example-1"});
  const Json* pod = nullptr;
  for (const auto& a : plan.actions) {
    if (a.ref.resource == "pods") pod = &a.object;
  }
  CHECK((*pod)["metadata"]["labels"]["cnpg.io/instanceRole"] == "primary");
  CHECK(specs::testing::Named((*pod)["spec"]["initContainers"], "initdb").is_object());
  CHECK(plan.status_patch["status"]["phase"] == "Setting up primary");

  SECTION("not while a pod created earlier is still missing from the cache") {
    o.awaiting_cache = true;
    CHECK(Created(PlanCluster(o, kSettings), "pods").empty());
  }
  SECTION("with walStorage, the WAL PVC too") {
    o.cluster = WithStatus({{"targetPrimary", "cluster-example-1"}}, {{"walStorage", {{"size", "1Gi"}}}});
    CHECK(Created(PlanCluster(o, kSettings), "persistentvolumeclaims") ==
          std::vector<std::string>{"cluster-example-1", "cluster-example-1-wal"});
  }
}

TEST_CASE("once the primary accepts writes it becomes current and the standbys join in parallel") {
  ObservedCluster o = Settled(WithStatus({{"targetPrimary", "cluster-example-1"}, {"latestGeneratedNode", 1}}));
  AddInstance(o, 1, Report(true));
  Plan plan = PlanCluster(o, kSettings);
  CHECK(Created(plan, "pods") == std::vector<std::string>{"cluster-example-2", "cluster-example-3"});
  for (const auto& a : plan.actions) {
    if (a.ref.resource != "pods") continue;
    CHECK(a.object["metadata"]["labels"]["cnpg.io/instanceRole"] == "replica");
    CHECK(specs::testing::Named(a.object["spec"]["initContainers"], "join").is_object());
  }
  const Json& st = plan.status_patch["status"];
  CHECK(st["currentPrimary"] == "cluster-example-1");
  CHECK(st["currentPrimaryTimestamp"] == kNow);
  CHECK(st["latestGeneratedNode"] == 3);
  CHECK(st["phase"] == "Creating a new replica");
  CHECK(st["phaseReason"] == "Creating replica cluster-example-2-join, cluster-example-3-join");
  CHECK(st["timelineID"] == 1);
  CHECK(st["systemID"] == "7300000000000000001");

  SECTION("a primary that is not ready yet holds the standbys back") {
    ObservedCluster waiting = Settled(WithStatus({{"targetPrimary", "cluster-example-1"}}));
    AddInstance(waiting, 1, Report(true, false));
    Plan p = PlanCluster(waiting, kSettings);
    CHECK(Created(p, "pods").empty());
    CHECK(!p.status_patch["status"].contains("currentPrimary"));
    CHECK(p.status_patch["status"]["phase"] == "Setting up primary");
  }
  SECTION("a standby's report does not make it primary") {
    ObservedCluster wrong = Settled(WithStatus({{"targetPrimary", "cluster-example-1"}}));
    AddInstance(wrong, 1, Report(false));
    CHECK(Created(PlanCluster(wrong, kSettings), "pods").empty());
  }
}

TEST_CASE("serials are never reused: new instances continue after latestGeneratedNode") {
  ObservedCluster o = Settled(WithStatus(
      {{"targetPrimary", "cluster-example-1"}, {"currentPrimary", "cluster-example-1"}, {"latestGeneratedNode", 5}}));
  AddInstance(o, 1, Report(true));
  Plan plan = PlanCluster(o, kSettings);
  CHECK(Created(plan, "pods") == std::vector<std::string>{"cluster-example-6", "cluster-example-7"});
  CHECK(plan.status_patch["status"]["latestGeneratedNode"] == 7);
}

TEST_CASE("a healthy, unchanging cluster plans nothing and writes no status") {
  ObservedCluster o = Settled(WithStatus({{"targetPrimary", "cluster-example-1"}, {"currentPrimary", "cluster-example-1"},
                                          {"latestGeneratedNode", 3}}));
  AddInstance(o, 1, Report(true));
  AddInstance(o, 2, Report(false));
  AddInstance(o, 3, Report(false));
  Plan first = PlanCluster(o, kSettings);
  CHECK(first.actions.empty());
  const Json& st = first.status_patch["status"];
  CHECK(st["phase"] == "Cluster in healthy state");
  CHECK(st["instances"] == 3);
  CHECK(st["readyInstances"] == 3);
  CHECK(st["instanceNames"] == Json::array({"cluster-example-1", "cluster-example-2", "cluster-example-3"}));
  CHECK(st["instancesStatus"]["healthy"].size() == 3);
  CHECK(st["instancesReportedState"]["cluster-example-1"]["isPrimary"] == true);
  CHECK(st["instancesReportedState"]["cluster-example-2"]["isPrimary"] == false);
  CHECK(st["healthyPVC"].size() == 3);
  CHECK(st["conditions"][0]["status"] == "True");
  CHECK(st["conditions"][0]["reason"] == "ClusterIsReady");
  bool ready_event = false;
  for (const auto& e : first.events) ready_event |= e.reason == "ClusterReady";
  CHECK(ready_event);

  // The next reconcile, an hour later, on the status it wrote.
  o.cluster = Patched(o.cluster, first);
  o.now = "2026-12-04T11:00:00.000000Z";
  Plan again = PlanCluster(o, kSettings);
  CHECK(again.actions.empty());
  CHECK(again.status_patch.is_null());
  CHECK(again.events.empty());
}

TEST_CASE("not healthy while an instance has not reported ready, even if its pod is") {
  ObservedCluster o = Settled(WithStatus({{"targetPrimary", "cluster-example-1"}, {"currentPrimary", "cluster-example-1"},
                                          {"latestGeneratedNode", 2}}, {{"instances", 2}}));
  AddInstance(o, 1, Report(true));
  AddInstance(o, 2, std::nullopt);
  o.instances[2].pod_ready = true;  // the probe passed before the first report reached the operator
  Plan plan = PlanCluster(o, kSettings);
  CHECK(plan.status_patch["status"]["phase"] == "Waiting for the instances to become active");
  CHECK(plan.status_patch["status"]["instancesStatus"]["failed"] == Json::array({"cluster-example-2"}));
}

TEST_CASE("standbys still in their init containers read as replicas being created") {
  ObservedCluster o = Settled(WithStatus({{"targetPrimary", "cluster-example-1"}, {"currentPrimary", "cluster-example-1"},
                                          {"latestGeneratedNode", 3}}));
  AddInstance(o, 1, Report(true));
  AddInstance(o, 2, std::nullopt);
  AddInstance(o, 3, Report(false));
  o.instances[2].pod_phase = "Pending";
  Plan plan = PlanCluster(o, kSettings);
  CHECK(plan.actions.empty());
  CHECK(plan.status_patch["status"]["phase"] == "Creating a new replica");
  CHECK(plan.status_patch["status"]["phaseReason"] == "Creating replica cluster-example-2-join");
}

TEST_CASE("an instance that cannot be reached shows as failed") {
  ObservedCluster o = Settled(WithStatus({{"targetPrimary", "cluster-example-1"}, {"currentPrimary", "cluster-example-1"},
                                          {"latestGeneratedNode", 3}}));
  AddInstance(o, 1, Report(true));
  AddInstance(o, 2, Report(false));
  AddInstance(o, 3, Report(false));
  o.instances[3].report->connected = false;
  o.instances[3].report->error = "connection refused";
  o.instances[3].pod_ready = false;
  Plan plan = PlanCluster(o, kSettings);
  const Json& st = plan.status_patch["status"];
  CHECK(st["instancesStatus"]["failed"] == Json::array({"cluster-example-3"}));
  CHECK(st["readyInstances"] == 2);
  CHECK(st["phase"] == "Waiting for the instances to become active");
}

TEST_CASE("role labels follow the status: only the current primary is labelled primary") {
  ObservedCluster o = Settled(WithStatus({{"targetPrimary", "cluster-example-1"}, {"currentPrimary", "cluster-example-1"},
                                          {"latestGeneratedNode", 2}}, {{"instances", 2}}));
  AddInstance(o, 1, Report(true));
  AddInstance(o, 2, Report(false));
  o.instances[1].role_label = "replica";
  o.instances[2].role_label = o.instances[2].legacy_role_label = "primary";
  Plan plan = PlanCluster(o, kSettings);
  std::map<std::string, std::string> labels;
  for (const auto& a : plan.actions) {
    if (a.kind == Action::Kind::kPatch) labels[a.ref.name] = a.object["metadata"]["labels"]["cnpg.io/instanceRole"];
  }
  CHECK(labels == std::map<std::string, std::string>{{"cluster-example-1", "primary"}, {"cluster-example-2", "replica"}});
}

TEST_CASE("a lost pod comes back on its PVC; scaling down removes the highest standby") {
  ObservedCluster o = Settled(WithStatus({{"targetPrimary", "cluster-example-1"}, {"currentPrimary", "cluster-example-1"},
                                          {"latestGeneratedNode", 3}}));
  AddInstance(o, 1, Report(true));
  AddInstance(o, 2, Report(false));
  AddInstance(o, 3, std::nullopt, /*pod=*/false);
  Plan plan = PlanCluster(o, kSettings);
  CHECK(Created(plan, "pods") == std::vector<std::string>{"cluster-example-3"});
  CHECK(Created(plan, "persistentvolumeclaims").empty());

  SECTION("scale 3 -> 2 with pod 3 running deletes the pod, then its PVC") {
    AddInstance(o, 3, Report(false));
    o.cluster.spec.instances = 2;
    Plan down = PlanCluster(o, kSettings);
    CHECK(Deleted(down) == std::vector<std::string>{"pods/cluster-example-3"});
    AddInstance(o, 3, std::nullopt, /*pod=*/false);
    CHECK(Deleted(PlanCluster(o, kSettings)) == std::vector<std::string>{"persistentvolumeclaims/cluster-example-3"});
  }
}

TEST_CASE("a spec that cannot be acted on changes nothing and is told once") {
  ObservedCluster o = Settled(WithStatus({{"targetPrimary", "cluster-example-1"}, {"currentPrimary", "cluster-example-1"},
                                          {"latestGeneratedNode", 1}, {"phase", "Cluster in healthy state"}},
                                         {{"instances", 3}}));
  AddInstance(o, 1, Report(true));
  o.spec_error = "the configuration parameter \"port\" is fixed by the operator";
  Plan plan = PlanCluster(o, kSettings);
  CHECK(plan.actions.empty());  // no standbys for the new instance count either
  CHECK(plan.status_patch["status"]["phase"] == "Invalid cluster definition");
  CHECK(plan.status_patch["status"]["phaseReason"] == o.spec_error);
  REQUIRE(plan.events.size() == 1);
  CHECK(plan.events[0].type == "Warning");
  CHECK(plan.events[0].reason == "InvalidSpec");

  o.cluster = Patched(o.cluster, plan);
  Plan again = PlanCluster(o, kSettings);
  CHECK(again.events.empty());
  CHECK(again.status_patch.is_null());
}

TEST_CASE("a Secret the user names must exist before any instance is created") {
  ObservedCluster o = Settled(WithStatus({{"targetPrimary", "cluster-example-1"}},
                                         {{"bootstrap", {{"initdb", {{"secret", {{"name", "my-app"}}}}}}}}));
  Plan plan = PlanCluster(o, kSettings);
  CHECK(Created(plan, "pods").empty());
  CHECK(Created(plan, "secrets").empty());  // neither its own app secret
  CHECK(plan.status_patch["status"]["phase"] == "Unable to create required cluster objects");
  CHECK(plan.status_patch["status"]["phaseReason"] == "Secret my-app not found in namespace default");
  REQUIRE(plan.events.size() == 1);
  CHECK(plan.events[0].reason == "MissingSecret");

  CHECK(plan.requeue_after == std::chrono::seconds(2));  // nothing else wakes it when the Secret appears

  o.secrets.insert("my-app");
  CHECK(Created(PlanCluster(o, kSettings), "pods") == std::vector<std::string>{"cluster-example-1"});
}

TEST_CASE("a pod the scheduler refuses is named with the reason, once") {
  ObservedCluster o = Settled(WithStatus({{"targetPrimary", "cluster-example-1"}, {"latestGeneratedNode", 1}}));
  AddInstance(o, 1, std::nullopt);
  o.instances[1].pod_phase = "Pending";
  o.instances[1].unschedulable = "0/3 nodes are available: 3 Insufficient storage.";
  Plan plan = PlanCluster(o, kSettings);
  CHECK(plan.status_patch["status"]["phase"] == "Setting up primary");
  CHECK(plan.status_patch["status"]["phaseReason"] ==
        "cluster-example-1 cannot be scheduled: 0/3 nodes are available: 3 Insufficient storage.");
  REQUIRE(plan.events.size() == 1);
  CHECK(plan.events[0].reason == "Unschedulable");
  o.cluster = Patched(o.cluster, plan);
  CHECK(PlanCluster(o, kSettings).events.empty());
}

TEST_CASE("a re-created Cluster waits for the old one's objects to be collected") {
  ObservedCluster o;
  o.cluster = Example();
  o.now = kNow;
  o.foreign = {"cluster-example-ca", "cluster-example-rw"};
  Plan plan = PlanCluster(o, kSettings);
  CHECK(plan.actions.empty());
  CHECK(plan.requeue_after > Duration(0));
  CHECK(plan.status_patch["status"]["phaseReason"] ==
        "Waiting for the objects of a deleted Cluster of the same name to be removed: cluster-example-ca, "
        "cluster-example-rw");
}

TEST_CASE("enableSuperuserAccess adds the superuser secret") {
  ObservedCluster o = Settled(WithStatus({{"targetPrimary", "cluster-example-1"}}, {{"enableSuperuserAccess", true}}));
  CHECK(Created(PlanCluster(o, kSettings), "secrets") == std::vector<std::string>{"cluster-example-superuser"});
}

TEST_CASE("a Cluster being deleted is left to the garbage collector") {
  ObservedCluster o = Settled(Example({}, {{"deletionTimestamp", "2026-12-04T10:00:00Z"}}));
  Plan plan = PlanCluster(o, kSettings);
  CHECK(plan.actions.empty());
  CHECK(plan.status_patch.is_null());
}

}  // namespace
}  // namespace tusk::op::cluster

namespace tusk::op::cluster {
namespace {

ObservedCluster HealthyThree() {
  ObservedCluster o = Settled(WithStatus({{"targetPrimary", "cluster-example-1"}, {"currentPrimary", "cluster-example-1"},
                                          {"latestGeneratedNode", 3}, {"phase", "Cluster in healthy state"}}));
  AddInstance(o, 1, Report(true));
  auto standby = [](const char* received, const char* replayed) {
    pb::InstanceStatus s = Report(false);
    s.set_received_lsn(received);
    s.set_replayed_lsn(replayed);
    return s;
  };
  AddInstance(o, 2, standby("0/3000100", "0/3000100"));
  AddInstance(o, 3, standby("0/3000200", "0/3000100"));
  return o;
}

std::vector<Action> Of(const Plan& plan, Action::Kind kind) {
  std::vector<Action> out;
  for (const auto& a : plan.actions) {
    if (a.kind == kind) out.push_back(a);
  }
  return out;
}

TEST_CASE("a primary whose postgres died is failed over to the most advanced standby") {
  ObservedCluster o = HealthyThree();
  o.instances[1].report->status->set_postgres_running(false);
  o.instances[1].report->status->set_phase(pb::PHASE_FAILED);
  o.instances[1].pod_ready = false;
  Plan plan = PlanCluster(o, kSettings);
  const Json& st = plan.status_patch["status"];
  CHECK(st["targetPrimary"] == "cluster-example-3");  // received 0/3000200 beats 0/3000100
  CHECK(st["phase"] == "Failing over");
  CHECK(st["phaseReason"] == "Failing over from cluster-example-1 to cluster-example-3");
  CHECK(st["currentPrimaryFailingSinceTimestamp"] == kNow);
  CHECK(!st.contains("currentPrimary"));  // unchanged until the target serves
  REQUIRE(plan.events.size() == 1);
  CHECK(plan.events[0].reason == "FailingOver");
  CHECK(plan.events[0].message.find("postgres exited unexpectedly on cluster-example-1") != std::string::npos);
  CHECK(plan.events[0].message.find("received 0/3000200") != std::string::npos);
  CHECK(plan.events[0].message.find("cluster-example-2: behind cluster-example-3") != std::string::npos);
  // The old primary leaves -rw at once: no pod is labelled primary meanwhile.
  o.cluster = Patched(o.cluster, plan);
  Plan waiting = PlanCluster(o, kSettings);
  std::vector<std::string> relabelled;
  for (const auto& a : Of(waiting, Action::Kind::kPatch)) {
    if (a.object["metadata"]["labels"]["cnpg.io/instanceRole"] == "primary") relabelled.push_back(a.ref.name);
  }
  CHECK(relabelled.empty());
  auto promote = Of(waiting, Action::Kind::kPromote);
  REQUIRE(promote.size() == 1);
  CHECK(promote[0].address == "10.0.0.3:9090");
  CHECK(promote[0].expected_target == "cluster-example-3");
  CHECK(waiting.status_patch.is_null());

  SECTION("the target reporting a writable primary completes it") {
    *o.instances[3].report->status = Report(true);
    Plan done = PlanCluster(o, kSettings);
    const Json& st2 = done.status_patch["status"];
    CHECK(st2["currentPrimary"] == "cluster-example-3");
    CHECK(st2["currentPrimaryTimestamp"] == kNow);
    CHECK(st2["currentPrimaryFailingSinceTimestamp"].is_null());
    std::map<std::string, std::string> labels;
    for (const auto& a : Of(done, Action::Kind::kPatch)) {
      labels[a.ref.name] = a.object["metadata"]["labels"]["cnpg.io/instanceRole"];
    }
    CHECK(labels["cluster-example-3"] == "primary");
    CHECK(labels["cluster-example-1"] == "replica");
    CHECK(Of(done, Action::Kind::kPromote).empty());
  }
}

TEST_CASE("a targetPrimary written while the primary serves reads as a switchover") {
  ObservedCluster o = HealthyThree();
  o.cluster.status.target_primary = "cluster-example-2";
  Plan plan = PlanCluster(o, kSettings);
  CHECK(plan.status_patch["status"]["phase"] == "Switchover in progress");
  CHECK(plan.status_patch["status"]["phaseReason"] == "Switching over to cluster-example-2");
  CHECK(Of(plan, Action::Kind::kPromote).size() == 1);
}

TEST_CASE("a deleted primary pod is failed over; a slow one is not") {
  ObservedCluster o = HealthyThree();
  SECTION("pod gone") {
    o.instances[1].pod.reset();
    CHECK(PlanCluster(o, kSettings).status_patch["status"]["targetPrimary"] == "cluster-example-3");
  }
  SECTION("stream broken but the pod still ready: it may be accepting writes, wait") {
    o.instances[1].report->connected = false;
    o.instances[1].report->error = "no report for 3s";
    Plan plan = PlanCluster(o, kSettings);
    CHECK(!plan.status_patch.is_null());
    CHECK(!plan.status_patch["status"].contains("targetPrimary"));
  }
  SECTION("stream broken and readiness failing") {
    o.instances[1].report->connected = false;
    o.instances[1].pod_ready = false;
    CHECK(PlanCluster(o, kSettings).status_patch["status"]["targetPrimary"] == "cluster-example-3");
  }
}

TEST_CASE("a primary stopped on purpose (a restart for a parameter) is not failed over") {
  ObservedCluster o = HealthyThree();
  o.instances[1].report->status->set_postgres_running(false);
  o.instances[1].report->status->set_phase(pb::PHASE_STOPPED);
  o.instances[1].pod_ready = false;
  Plan plan = PlanCluster(o, kSettings);
  CHECK((plan.status_patch.is_null() || !plan.status_patch["status"].contains("targetPrimary")));
}

TEST_CASE("failover candidates: fenced, unreachable and (with required durability) asynchronous standbys are passed over") {
  ObservedCluster o = HealthyThree();
  o.instances[1].report->status->set_postgres_running(false);
  o.instances[1].report->status->set_phase(pb::PHASE_FAILED);
  SECTION("fenced") {
    o.cluster.metadata.annotations = std::map<std::string, std::string>{{"cnpg.io/fencedInstances", "[\"cluster-example-3\"]"}};
    CHECK(PlanCluster(o, kSettings).status_patch["status"]["targetPrimary"] == "cluster-example-2");
  }
  SECTION("unreachable") {
    o.instances[3].report->connected = false;
    CHECK(PlanCluster(o, kSettings).status_patch["status"]["targetPrimary"] == "cluster-example-2");
  }
  SECTION("dataDurability required: only the standby last seen synchronous") {
    o.cluster.spec.synchronous = api::SynchronousReplicaConfig{};
    o.cluster.spec.synchronous->method = "any";
    o.cluster.spec.synchronous->number = 1;
    o.cluster.spec.synchronous->data_durability = "required";
    auto* s = o.instances[1].report->status->add_standbys();
    s->set_application_name("cluster-example-2");
    s->set_sync_state(pb::SYNC_STATE_QUORUM);
    auto* a = o.instances[1].report->status->add_standbys();
    a->set_application_name("cluster-example-3");
    a->set_sync_state(pb::SYNC_STATE_ASYNC);
    CHECK(PlanCluster(o, kSettings).status_patch["status"]["targetPrimary"] == "cluster-example-2");
  }
  SECTION("none eligible: no decision, the reason in the status") {
    o.instances[2].report->connected = false;
    o.instances[3].report->connected = false;
    Plan plan = PlanCluster(o, kSettings);
    CHECK(!plan.status_patch["status"].contains("targetPrimary"));
    CHECK(plan.status_patch["status"]["phase"] == "Failing over");
    CHECK(plan.status_patch["status"]["phaseReason"].get<std::string>().find("not reporting") != std::string::npos);
  }
}

}  // namespace
}  // namespace tusk::op::cluster
