#include "operator/cluster/plan.h"

#include <algorithm>

#include "common/k8s/kube_client.h"
#include "common/k8s/merge_patch.h"
#include "operator/cluster/failover.h"

namespace tusk::op::cluster {
namespace {

using specs::InstanceBootstrap;
using specs::ServiceKind;

k8s::ResourceRef Core(const std::string& resource, const std::string& ns, const std::string& name) {
  return {"", "v1", resource, ns, name, ""};
}
k8s::ResourceRef Rbac(const std::string& resource, const std::string& ns, const std::string& name) {
  return {"rbac.authorization.k8s.io", "v1", resource, ns, name, ""};
}
k8s::ResourceRef Policy(const std::string& ns, const std::string& name) {
  return {"policy", "v1", "poddisruptionbudgets", ns, name, ""};
}

const std::string& Name(const api::Cluster& c) { return *c.metadata.name; }
std::string Namespace(const api::Cluster& c) { return c.metadata.namespace_.value_or("default"); }

Action Create(k8s::ResourceRef ref, Json object, std::string reason = "", std::string message = "") {
  Action a;
  a.kind = Action::Kind::kCreate;
  ref.name = object["metadata"].value("name", "");
  a.ref = std::move(ref);
  a.object = std::move(object);
  a.event_reason = std::move(reason);
  a.event_message = std::move(message);
  return a;
}

// The name the pod of `serial` would be deleted/created under, and whether
// an instance is the one the Cluster status names primary.
std::string PrimaryName(const api::Cluster& c) {
  const auto& st = c.status;
  if (st.current_primary && !st.current_primary->empty()) return *st.current_primary;
  return st.target_primary.value_or("");
}

// The pod -rw may select: none while a new primary is being decided or
// promoted, so clients are fenced from the old one first.
std::string WritablePrimary(const api::Cluster& c) {
  const std::string current = c.status.current_primary.value_or("");
  const std::string target = c.status.target_primary.value_or("");
  if (current.empty()) return target;
  return target.empty() || target == current ? current : "";
}

bool Reported(const ObservedInstance& i, bool want_primary) {
  if (!i.report || !i.report->connected || !i.report->status) return false;
  const auto& s = *i.report->status;
  bool primary = s.role() == pb::ROLE_PRIMARY && !s.in_recovery();
  return s.ready() && primary == want_primary;
}

// Secrets, RBAC, Services and PDBs: created when missing, never rewritten
// here (the user may have edited labels; drift repair is a later step).
void PlanSupportObjects(const ObservedCluster& o, const specs::OperatorSettings& settings, Plan& plan) {
  const api::Cluster& c = o.cluster;
  const std::string ns = Namespace(c);
  const auto& spec = c.spec;

  if (!spec.certificates || !spec.certificates->server_tls_secret) {
    // The CA first: the leaves are signed by it in the same pass.
    auto names = specs::CertificateSecretNames(c);
    auto tls = [&](specs::TlsSecretKind kind, const std::string& name) {
      if (o.secrets.count(name)) return;
      Action a;
      a.kind = Action::Kind::kCreateTls;
      a.tls = kind;
      a.ref = Core("secrets", ns, name);
      plan.actions.push_back(a);
    };
    tls(specs::TlsSecretKind::kCa, specs::CaSecretName(Name(c)));
    tls(specs::TlsSecretKind::kServer, names.server_tls);
    tls(specs::TlsSecretKind::kReplication, names.replication_tls);
  }
  auto credentials = [&](specs::CredentialsKind kind, const std::string& name) {
    if (o.secrets.count(name)) return;
    Action a;
    a.kind = Action::Kind::kCreateCredentials;
    a.credentials = kind;
    a.ref = Core("secrets", ns, name);
    plan.actions.push_back(a);
  };
  if (!spec.initdb_secret) credentials(specs::CredentialsKind::kApp, specs::AppSecretName(c));
  if (spec.enable_superuser_access.value_or(false) && !spec.superuser_secret) {
    credentials(specs::CredentialsKind::kSuperuser, specs::SuperuserSecretName(c));
  }
  if (!o.service_account) {
    if (auto sa = specs::InstanceServiceAccount(c, settings)) plan.actions.push_back(Create(Core("serviceaccounts", ns, ""), *sa));
  }
  if (!o.role) plan.actions.push_back(Create(Rbac("roles", ns, ""), specs::InstanceRole(c, settings)));
  if (!o.role_binding) plan.actions.push_back(Create(Rbac("rolebindings", ns, ""), specs::InstanceRoleBinding(c, settings)));
  for (ServiceKind kind : specs::DefaultServices(c)) {
    if (!o.services.count(specs::ServiceName(Name(c), kind))) {
      plan.actions.push_back(Create(Core("services", ns, ""), specs::ClusterService(c, kind, settings)));
    }
  }
  for (Json& pdb : specs::PodDisruptionBudgets(c, settings)) {
    if (!o.pdbs.count(pdb["metadata"].value("name", ""))) plan.actions.push_back(Create(Policy(ns, ""), std::move(pdb)));
  }
}

// Secrets the user names that must exist before an instance can start.
std::vector<std::string> MissingUserSecrets(const ObservedCluster& o) {
  std::vector<std::string> missing;
  const auto& spec = o.cluster.spec;
  auto need = [&](const std::optional<std::string>& name) {
    if (name && !name->empty() && !o.secrets.count(*name)) missing.push_back(*name);
  };
  need(spec.initdb_secret);
  if (spec.enable_superuser_access.value_or(false)) need(spec.superuser_secret);
  if (spec.certificates) {
    need(spec.certificates->server_ca_secret);
    need(spec.certificates->server_tls_secret);
    need(spec.certificates->replication_tls_secret);
    need(spec.certificates->client_ca_secret);
  }
  return missing;
}

void CreateInstance(const ObservedCluster& o, int serial, InstanceBootstrap bootstrap, const std::string& role,
                    const specs::OperatorSettings& settings, Plan& plan, const std::string& reason,
                    const std::string& message) {
  const api::Cluster& c = o.cluster;
  const std::string ns = Namespace(c);
  auto it = o.instances.find(serial);
  bool has_data = it != o.instances.end() && it->second.data_pvc;
  bool has_wal = it != o.instances.end() && it->second.wal_pvc;
  if (!has_data) {
    plan.actions.push_back(
        Create(Core("persistentvolumeclaims", ns, ""), specs::InstancePvc(c, serial, specs::PvcRole::kData, settings)));
  }
  if (specs::HasWalStorage(c) && !has_wal) {
    plan.actions.push_back(
        Create(Core("persistentvolumeclaims", ns, ""), specs::InstancePvc(c, serial, specs::PvcRole::kWal, settings)));
  }
  plan.actions.push_back(
      Create(Core("pods", ns, ""), specs::InstancePod(c, serial, bootstrap, role, settings), reason, message));
}

// The pods' role labels follow the Cluster status: the -rw Service selects
// cnpg.io/instanceRole=primary, so only the pod the status names carries it.
void PlanRoleLabels(const ObservedCluster& o, Plan& plan) {
  const std::string primary = WritablePrimary(o.cluster);
  for (const auto& [serial, i] : o.instances) {
    if (!i.pod || i.pod_terminating) continue;
    std::string want = i.name == primary ? specs::kRolePrimary : specs::kRoleReplica;
    if (i.role_label == want && i.legacy_role_label == want) continue;
    Action a;
    a.kind = Action::Kind::kPatch;
    a.ref = Core("pods", Namespace(o.cluster), i.name);
    a.object = {{"metadata", {{"labels", {{specs::kInstanceRoleLabel, want}, {specs::kLegacyRoleLabel, want}}}}}};
    plan.actions.push_back(a);
  }
}

struct Topology {
  std::string phase, reason;
};

// Instances: the first by initdb once the status names it target primary,
// the others by a base backup from it once it serves, a lost pod recreated
// on its PVCs, and the highest serials removed when scaling down.
Topology PlanInstances(const ObservedCluster& o, const specs::OperatorSettings& settings, Plan& plan,
                       api::ClusterStatus& status) {
  const api::Cluster& c = o.cluster;
  const std::string& name = Name(c);
  const int64_t want = c.spec.instances.value_or(1);
  const auto& st = c.status;
  std::string current = st.current_primary.value_or("");
  const std::string target = st.target_primary.value_or("");

  if (o.instances.empty() && current.empty()) {
    if (target.empty()) {
      // Decide the first primary in the status before any pod exists, so
      // its tusk-instance finds itself named when it starts.
      std::string first = specs::InstanceName(name, std::max<int64_t>(1, st.latest_generated_node.value_or(0) + 1));
      status.target_primary = first;
      status.target_primary_timestamp = o.now;
      status.latest_generated_node = *specs::SerialOf(name, first);
      return {kPhaseSettingUpPrimary, "Creating primary instance " + first};
    }
  }
  if (current.empty()) {
    auto serial = specs::SerialOf(name, target);
    if (!serial) return {kPhaseSettingUpPrimary, "target primary " + target + " is not an instance of this cluster"};
    auto it = o.instances.find(*serial);
    if (it == o.instances.end() || !it->second.pod) {
      if (!o.awaiting_cache) {
        CreateInstance(o, *serial, InstanceBootstrap::kInitdb, specs::kRolePrimary, settings, plan, "CreatingInstance",
                       "Primary instance " + target + " (initdb)");
      }
      return {kPhaseSettingUpPrimary, "Creating primary instance " + target};
    }
    if (Reported(it->second, true)) {
      status.current_primary = target;
      status.current_primary_timestamp = o.now;
      plan.events.push_back({"Normal", "PrimaryReady", "Primary instance " + target + " is accepting writes"});
      current = target;
    } else {
      return {kPhaseSettingUpPrimary, "Waiting for primary instance " + target + " to accept writes"};
    }
  }

  if (!target.empty() && target != current) {
    // A new primary is decided: wait for it to report accepting writes,
    // waking it with Promote (its own watch of the status promotes it too).
    auto t = o.instances.find(specs::SerialOf(name, target).value_or(-1));
    if (t == o.instances.end()) return {kPhaseFailingOver, "target primary " + target + " does not exist"};
    if (!Reported(t->second, true)) {
      if (!t->second.pod_ip.empty()) {
        Action a;
        a.kind = Action::Kind::kPromote;
        a.address = t->second.pod_ip + ":" + std::to_string(specs::kInstanceGrpcPort);
        a.expected_target = target;
        plan.actions.push_back(a);
      }
      // Without a failure recorded it is a switchover someone asked for
      // (status.targetPrimary written, as `kubectl cnpg promote` does).
      if (!st.current_primary_failing_since_timestamp) return {kPhaseSwitchover, "Switching over to " + target};
      return {kPhaseFailingOver, "Failing over from " + current + " to " + target};
    }
    status.current_primary = target;
    status.current_primary_timestamp = o.now;
    status.current_primary_failing_since_timestamp = std::nullopt;
    plan.events.push_back({"Normal", "FailoverCompleted", target + " is the new primary, accepting writes (was " +
                                                              current + ")"});
    current = target;
  } else if (auto failure = PrimaryFailure(o)) {
    std::string why;
    auto candidate = ChooseCandidate(o, &why);
    if (!candidate) return {kPhaseFailingOver, "cannot fail over from " + current + ": " + *failure + "; " + why};
    status.target_primary = candidate->name;
    status.target_primary_timestamp = o.now;
    status.current_primary_failing_since_timestamp = o.now;
    std::string message = "Failing over from " + current + " to " + candidate->name + ": " + *failure + "; " +
                          candidate->name + " received " + candidate->received_lsn + ", replayed " +
                          candidate->replayed_lsn;
    if (!candidate->passed_over.empty()) message += "; passed over: " + candidate->passed_over;
    plan.events.push_back({"Warning", "FailingOver", message});
    return {kPhaseFailingOver, "Failing over from " + current + " to " + candidate->name};
  }

  // A pod lost while its PVCs survive comes back on them; join is a no-op
  // on a complete data directory.
  bool creating = false;
  for (const auto& [serial, i] : o.instances) {
    if (i.pod || !i.data_pvc || o.awaiting_cache) continue;
    if (serial > want && i.name != current) continue;  // scaling down: let it go
    CreateInstance(o, serial, i.name == current ? InstanceBootstrap::kInitdb : InstanceBootstrap::kJoin,
                   i.name == current ? specs::kRolePrimary : specs::kRoleReplica, settings, plan, "CreatingInstance",
                   "Recreating instance " + i.name + " on its volumes");
    creating = true;
  }

  auto primary_it = o.instances.find(specs::SerialOf(name, current).value_or(-1));
  bool primary_serving = primary_it != o.instances.end() && Reported(primary_it->second, true);
  int64_t have = static_cast<int64_t>(o.instances.size());
  if (have < want) {
    if (!primary_serving) return {kPhaseWaitingForInstances, "Waiting for primary instance " + current};
    if (o.awaiting_cache) return {kPhaseCreatingReplica, "Waiting for new instances to be observed"};
    // Standbys join in parallel: each takes its own base backup from the
    // primary, and none depends on another.
    int64_t next = st.latest_generated_node.value_or(0);
    for (const auto& [serial, i] : o.instances) next = std::max<int64_t>(next, serial);
    std::string reason;
    for (int64_t k = 0; k < want - have; ++k) {
      int serial = static_cast<int>(++next);
      std::string pod = specs::InstanceName(name, serial);
      CreateInstance(o, serial, InstanceBootstrap::kJoin, specs::kRoleReplica, settings, plan, "CreatingInstance",
                     "Creating replica " + pod + " (join from " + current + ")");
      reason += (reason.empty() ? "Creating replica " : ", ") + pod + "-join";
    }
    status.latest_generated_node = next;
    return {kPhaseCreatingReplica, reason};
  }
  if (have > want) {
    // Scale down from the highest serial that is not the primary.
    for (auto it = o.instances.rbegin(); it != o.instances.rend(); ++it) {
      const ObservedInstance& i = it->second;
      if (i.name == current) continue;
      const std::string ns = Namespace(c);
      if (i.pod && !i.pod_terminating) {
        Action a;
        a.kind = Action::Kind::kDelete;
        a.ref = Core("pods", ns, i.name);
        a.event_reason = "DeletingInstance";
        a.event_message = "Scaling down: removing instance " + i.name;
        plan.actions.push_back(a);
      }
      if (!i.pod) {
        for (bool wal : {false, true}) {
          if (!(wal ? i.wal_pvc : i.data_pvc)) continue;
          Action a;
          a.kind = Action::Kind::kDelete;
          a.ref = Core("persistentvolumeclaims", ns, wal ? specs::WalPvcName(i.name) : specs::DataPvcName(i.name));
          plan.actions.push_back(a);
        }
      }
      break;
    }
    return {kPhaseWaitingForInstances, "Scaling down to " + std::to_string(want) + " instances"};
  }
  if (creating) return {kPhaseWaitingForInstances, "Recreating lost instances"};
  return {"", ""};
}

// Every instance exists: healthy when all are ready; a standby still in its
// init containers is a replica being created.
Topology SettledTopology(const ObservedCluster& o) {
  const std::string primary = PrimaryName(o.cluster);
  std::string joining;
  bool all_ready = !o.instances.empty();
  for (const auto& [serial, i] : o.instances) {
    // Ready by the kubelet's probe and by the instance's own report, so the
    // status never says healthy while instancesStatus does not.
    const bool reported = i.report && i.report->connected && i.report->status && i.report->status->ready();
    all_ready = all_ready && i.pod_ready && reported;
    if (!i.pod_ready && i.name != primary && i.pod_phase == "Pending") {
      joining += (joining.empty() ? "Creating replica " : ", ") + i.name + "-join";
    }
  }
  if (all_ready) return {kPhaseHealthy, ""};
  if (!joining.empty()) return {kPhaseCreatingReplica, joining};
  return {kPhaseWaitingForInstances, "Waiting for the instances to become ready"};
}

Json StatusJson(const api::ClusterStatus& status) {
  api::Cluster holder;
  holder.status = status;
  Json j = api::ToJson(holder);
  return j.contains("status") ? j["status"] : Json::object();
}

}  // namespace

api::ClusterStatus DesiredStatus(const ObservedCluster& o, const std::string& phase, const std::string& phase_reason) {
  const api::Cluster& c = o.cluster;
  const std::string& name = Name(c);
  api::ClusterStatus st = c.status;
  std::vector<std::string> names, healthy, replicating, failed, healthy_pvc;
  std::map<std::string, api::InstanceReportedState> reported;
  int64_t ready = 0;
  int64_t pvcs = 0;
  for (const auto& [serial, i] : o.instances) {
    names.push_back(i.name);
    if (i.pod_ready) ++ready;
    pvcs += (i.data_pvc ? 1 : 0) + (i.wal_pvc ? 1 : 0);
    if (i.data_pvc && i.data_pvc_phase == "Bound") {
      healthy_pvc.push_back(specs::DataPvcName(i.name));
      if (i.wal_pvc) healthy_pvc.push_back(specs::WalPvcName(i.name));
    }
    bool connected = i.report && i.report->connected && i.report->status;
    if (connected && i.report->status->ready()) {
      healthy.push_back(i.name);
    } else if (connected) {
      replicating.push_back(i.name);
    } else {
      failed.push_back(i.name);
    }
    if (i.report && i.report->status) {
      const auto& s = *i.report->status;
      api::InstanceReportedState r;
      r.is_primary = s.role() == pb::ROLE_PRIMARY && !s.in_recovery();
      r.timeline_id = s.timeline_id();
      r.ip = i.pod_ip;
      reported[i.name] = r;
    }
  }
  std::sort(healthy_pvc.begin(), healthy_pvc.end());
  st.instances = static_cast<int64_t>(names.size());
  st.ready_instances = ready;
  st.instance_names = names;
  std::map<std::string, std::vector<std::string>> by_state;
  if (!healthy.empty()) by_state["healthy"] = healthy;
  if (!replicating.empty()) by_state["replicating"] = replicating;
  if (!failed.empty()) by_state["failed"] = failed;
  st.instances_status = by_state;
  st.instances_reported_state = reported;
  st.healthy_pvc = healthy_pvc;
  st.pvc_count = pvcs;
  st.write_service = specs::RwServiceName(name);
  st.read_service = specs::RServiceName(name);
  st.selector = std::string(specs::kClusterLabel) + "=" + name + "," + specs::kPodRoleLabel + "=" +
                specs::kPodRoleInstance;
  st.image = specs::PostgresImage(c);
  st.phase = phase;
  st.phase_reason = phase_reason;
  const std::string primary = st.current_primary.value_or("");
  if (auto serial = specs::SerialOf(name, primary)) {
    auto it = o.instances.find(*serial);
    if (it != o.instances.end() && it->second.report && it->second.report->status) {
      const auto& s = *it->second.report->status;
      if (s.timeline_id()) st.timeline_id = s.timeline_id();
      if (s.system_identifier()) st.system_id = std::to_string(s.system_identifier());
    }
  }
  // Ready, with the transition time kept while the value holds.
  const bool is_ready = phase == kPhaseHealthy;
  api::Condition cond;
  cond.type = "Ready";
  cond.status = is_ready ? "True" : "False";
  cond.reason = is_ready ? "ClusterIsReady" : "ClusterIsNotReady";
  cond.message = is_ready ? "Cluster is Ready" : "Cluster Is Not Ready";
  cond.last_transition_time = o.now;
  std::vector<api::Condition> conditions;
  bool placed = false;
  for (const auto& old : st.conditions.value_or(std::vector<api::Condition>{})) {
    if (old.type != cond.type) {
      conditions.push_back(old);
      continue;
    }
    if (old.status == cond.status && old.reason == cond.reason && old.message == cond.message) {
      cond.last_transition_time = old.last_transition_time;
    }
    conditions.push_back(cond);
    placed = true;
  }
  if (!placed) conditions.push_back(cond);
  st.conditions = conditions;
  return st;
}

Plan PlanCluster(const ObservedCluster& o, const specs::OperatorSettings& settings) {
  Plan plan;
  const api::Cluster& c = o.cluster;
  if (c.metadata.deletion_timestamp) {
    plan.summary = "being deleted";
    return plan;
  }
  api::ClusterStatus status = c.status;
  Topology topology;
  if (!o.spec_error.empty()) {
    // Keep everything as the last good spec made it: no object is created,
    // changed or removed until the spec is fixed.
    topology = {kPhaseInvalid, o.spec_error};
    plan.events.push_back({"Warning", "InvalidSpec", o.spec_error});
  } else if (!o.foreign.empty()) {
    // A Cluster deleted and re-created under the same name: its old objects
    // carry the names this one needs (and the old CA would sign the new
    // certificates). Wait for the garbage collector; each deletion it makes
    // wakes this reconcile.
    std::string list;
    for (size_t k = 0; k < o.foreign.size() && k < 5; ++k) list += (k ? ", " : "") + o.foreign[k];
    if (o.foreign.size() > 5) list += ", ...";
    topology = {c.status.phase.value_or(kPhaseSettingUpPrimary),
                "Waiting for the objects of a deleted Cluster of the same name to be removed: " + list};
    plan.requeue_after = std::chrono::seconds(1);
  } else if (auto missing = MissingUserSecrets(o); !missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    topology = {kPhaseCannotCreateObjects, "Secret " + list + " not found in namespace " + Namespace(c)};
    plan.events.push_back({"Warning", "MissingSecret", topology.reason});
    // A Secret the user creates carries no label of ours, so no informer
    // event brings this Cluster back: look again shortly.
    plan.requeue_after = std::chrono::seconds(2);
    PlanSupportObjects(o, settings, plan);
  } else {
    PlanSupportObjects(o, settings, plan);
    api::Cluster next = c;
    topology = PlanInstances(o, settings, plan, status);
    next.status = status;
    ObservedCluster after = o;
    after.cluster = next;
    PlanRoleLabels(after, plan);
    if (topology.phase.empty()) topology = SettledTopology(o);
  }
  // A pod the scheduler refuses says why, whatever step it holds up.
  for (const auto& [serial, i] : o.instances) {
    if (i.unschedulable.empty() || topology.phase == kPhaseInvalid) continue;
    topology.reason = i.name + " cannot be scheduled: " + i.unschedulable;
    plan.events.push_back({"Warning", "Unschedulable", topology.reason});
    break;
  }
  // A warning is told once, when it first shows, not on every reconcile.
  if (c.status.phase == topology.phase && c.status.phase_reason == topology.reason) {
    std::erase_if(plan.events, [](const Event& e) { return e.type == "Warning"; });
  }
  ObservedCluster with_status = o;
  with_status.cluster.status = status;
  api::ClusterStatus desired = DesiredStatus(with_status, topology.phase, topology.reason);
  Json from = StatusJson(c.status);
  Json to = StatusJson(desired);
  Json patch = k8s::CreateMergePatch(from, to);
  if (!patch.is_null() && !patch.empty()) {
    plan.status_patch = {{"status", patch}};
    if (desired.phase != c.status.phase) {
      if (desired.phase == kPhaseHealthy) plan.events.push_back({"Normal", "ClusterReady", "Cluster is healthy"});
    }
  }
  plan.summary = topology.phase + (topology.reason.empty() ? "" : ": " + topology.reason);
  return plan;
}

}  // namespace tusk::op::cluster
