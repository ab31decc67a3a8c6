#include "operator/cluster/controller.h"

#include "common/k8s/config.h"
#include "common/pg/cluster_view.h"
#include "common/pg/config_render.h"
#include "common/tls/pki.h"
#include "operator/specs/password.h"

namespace tusk::op::cluster {
namespace {

const Json* Field(const Json& j, std::initializer_list<const char*> path) {
  const Json* p = &j;
  for (const char* k : path) {
    if (!p->is_object() || !p->contains(k)) return nullptr;
    p = &(*p)[k];
  }
  return p;
}

std::string StringAt(const Json& j, std::initializer_list<const char*> path) {
  const Json* p = Field(j, path);
  return p && p->is_string() ? p->get<std::string>() : "";
}

bool PodReady(const Json& pod) {
  const Json* conditions = Field(pod, {"status", "conditions"});
  if (!conditions || !conditions->is_array()) return false;
  for (const Json& c : *conditions) {
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

// PodScheduled False: why the scheduler (or the volume binding) refuses it.
std::string Unschedulable(const Json& pod) {
  const Json* conditions = Field(pod, {"status", "conditions"});
  if (!conditions || !conditions->is_array()) return "";
  for (const Json& c : *conditions) {
    if (c.value("type", "") == "PodScheduled" && c.value("status", "") == "False") {
      std::string message = c.value("message", "");
      return message.empty() ? c.value("reason", "Unschedulable") : message;
    }
  }
  return "";
}

bool ControlledBy(const k8s::CachedObject& o, const std::string& uid) {
  for (const auto& owner : o.owners) {
    if (owner.controller && owner.uid == uid) return true;
  }
  return false;
}

// The objects in `cache` of this cluster (namespace + label), controlled by
// it. Those labelled for it but controlled by another Cluster (one deleted
// and re-created under the same name, its objects not yet collected) go to
// `foreign`.
std::vector<k8s::CachedObject> Owned(const k8s::ObjectCache* cache, const std::string& ns, const std::string& name,
                                     const std::string& uid, std::vector<std::string>* foreign = nullptr) {
  std::vector<k8s::CachedObject> out;
  if (!cache) return out;
  for (auto& o : cache->ByLabel(specs::kClusterLabel, name)) {
    if (o.namespace_ != ns) continue;
    if (ControlledBy(o, uid)) {
      out.push_back(std::move(o));
      continue;
    }
    bool other_cluster = false;
    for (const auto& owner : o.owners) other_cluster |= owner.controller && owner.kind == "Cluster";
    if (other_cluster && foreign) foreign->push_back(o.name);
  }
  return out;
}

// Why the spec cannot be acted on: the admission checks, then the
// configuration every instance would render (a fixed parameter, say).
std::string SpecError(const api::Cluster& cluster) {
  if (Status st = api::ValidateStatus(cluster); !st.ok()) return st.message();
  auto view = pg::MakeClusterView(cluster);
  if (!view.ok()) return view.status().message();
  pg::InstanceContext ctx;
  ctx.pod_name = specs::InstanceName(*cluster.metadata.name, 1);
  ctx.primary = true;
  auto rendered = pg::RenderConfig(*view, ctx);
  return rendered.ok() ? "" : rendered.status().message();
}

}  // namespace

ClusterController::ClusterController(k8s::KubeClient& client, Clock& clock, k8s::EventRecorder& events,
                                     InstanceClient& instances, InstanceMonitor& monitor, tls::RandomSource& random,
                                     Caches caches, ControllerConfig config)
    : client_(client),
      instances_(instances),
      clock_(clock),
      events_(events),
      monitor_(monitor),
      random_(random),
      caches_(caches),
      config_(std::move(config)),
      log_("cluster-controller") {}

void ClusterController::Expect(const std::string& key, const std::string& pod) {
  std::lock_guard lock(mu_);
  expected_[key][pod] = clock_.Now();
}

bool ClusterController::AwaitingCache(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = expected_.find(key);
  if (it == expected_.end()) return false;
  const std::string ns = key.substr(0, key.find('/'));
  for (auto p = it->second.begin(); p != it->second.end();) {
    bool seen = caches_.pods && caches_.pods->Get(ns + "/" + p->first).has_value();
    bool expired = clock_.Now() - p->second > config_.expectation_timeout;
    p = seen || expired ? it->second.erase(p) : std::next(p);
  }
  if (it->second.empty()) expected_.erase(it);
  return expected_.count(key) > 0;
}

StatusOr<ObservedCluster> ClusterController::Observe(const Json& object) {
  ObservedCluster o;
  o.object = object;
  ASSIGN_OR_RETURN(o.cluster, api::ClusterFromJson(object));
  api::ApplyDefaults(&o.cluster, config_.defaults);
  o.now = FormatRfc3339Micro(clock_.WallNow());
  o.spec_error = SpecError(o.cluster);
  const std::string name = o.cluster.metadata.name.value_or("");
  const std::string ns = o.cluster.metadata.namespace_.value_or("default");
  const std::string uid = o.cluster.metadata.uid.value_or("");
  const std::string key = ns + "/" + name;

  auto instance = [&](int serial) -> ObservedInstance& {
    ObservedInstance& i = o.instances[serial];
    i.serial = serial;
    i.name = specs::InstanceName(name, serial);
    return i;
  };
  for (const auto& pod : Owned(caches_.pods, ns, name, uid, &o.foreign)) {
    auto serial = specs::SerialOf(name, pod.name);
    if (!serial) continue;
    auto json = pod.Decode();
    if (!json.ok()) continue;
    ObservedInstance& i = instance(*serial);
    i.pod_ready = PodReady(*json);
    i.pod_terminating = Field(*json, {"metadata", "deletionTimestamp"}) != nullptr;
    i.pod_ip = StringAt(*json, {"status", "podIP"});
    i.pod_phase = StringAt(*json, {"status", "phase"});
    i.unschedulable = Unschedulable(*json);
    auto labels = pod.LabelMap();
    i.role_label = labels[specs::kInstanceRoleLabel];
    i.legacy_role_label = labels[specs::kLegacyRoleLabel];
    i.pod = std::move(*json);
  }
  for (const auto& pvc : Owned(caches_.pvcs, ns, name, uid, &o.foreign)) {
    if (auto serial = specs::SerialOf(name, pvc.name)) {
      ObservedInstance& i = instance(*serial);
      i.data_pvc = true;
      if (auto json = pvc.Decode(); json.ok()) i.data_pvc_phase = StringAt(*json, {"status", "phase"});
    } else if (pvc.name.size() > 4 && pvc.name.ends_with("-wal")) {
      if (auto s = specs::SerialOf(name, pvc.name.substr(0, pvc.name.size() - 4))) instance(*s).wal_pvc = true;
    }
  }
  for (const auto& s : Owned(caches_.services, ns, name, uid, &o.foreign)) o.services.insert(s.name);
  for (const auto& s : Owned(caches_.secrets, ns, name, uid, &o.foreign)) o.secrets.insert(s.name);
  if (o.secrets.count(specs::CaSecretName(name))) {
    std::lock_guard lock(mu_);
    new_cas_.erase(uid);  // the cache has it now
  }
  for (const auto& p : Owned(caches_.pdbs, ns, name, uid, &o.foreign)) o.pdbs.insert(p.name);
  const std::string sa = specs::InstanceServiceAccountName(o.cluster);
  for (const auto& s : Owned(caches_.service_accounts, ns, name, uid, &o.foreign)) o.service_account |= s.name == sa;
  for (const auto& r : Owned(caches_.roles, ns, name, uid, &o.foreign)) o.role |= r.name == name;
  for (const auto& r : Owned(caches_.role_bindings, ns, name, uid, &o.foreign)) o.role_binding |= r.name == name;
  // Secrets the user brings are not ours to cache: ask for each by name.
  std::vector<std::optional<std::string>> user = {o.cluster.spec.initdb_secret, o.cluster.spec.superuser_secret};
  if (const auto& certs = o.cluster.spec.certificates) {
    for (const auto& s : {certs->server_ca_secret, certs->server_tls_secret, certs->replication_tls_secret,
                          certs->client_ca_secret}) {
      user.push_back(s);
    }
  }
  for (const auto& s : user) {
    if (!s || s->empty() || o.secrets.count(*s)) continue;
    auto got = client_.Get(k8s::SecretsResource().InNamespace(ns).Named(*s));
    if (got.ok()) {
      o.secrets.insert(*s);
    } else if (got.status().code() != StatusCode::kNotFound) {
      return got.status().WithContext("reading Secret " + *s);
    }
  }

  // Watch every instance that has an address; report what each said last.
  std::map<std::string, std::string> addresses;
  for (const auto& [serial, i] : o.instances) {
    if (i.pod && !i.pod_ip.empty() && !i.pod_terminating) {
      addresses[i.name] = i.pod_ip + ":" + std::to_string(specs::kInstanceGrpcPort);
    }
  }
  monitor_.Track(key, addresses);
  auto reports = monitor_.Reports(key);
  for (auto& [pod, report] : reports) {
    if (auto serial = specs::SerialOf(name, pod); serial && o.instances.count(*serial)) {
      o.instances[*serial].report = std::move(report);
    }
  }
  o.awaiting_cache = AwaitingCache(key);
  return o;
}

k8s::ReconcileResult ClusterController::Reconcile(const std::string& key) {
  auto cached = caches_.clusters->GetJson(key);
  if (!cached) {
    // Deleted: the garbage collector removes what it owned.
    monitor_.Untrack(key);
    std::lock_guard lock(mu_);
    expected_.erase(key);
    return {};
  }
  const auto slash = key.find('/');
  log::Logger logger = log_.With({{"namespace", key.substr(0, slash)}, {"cluster", key.substr(slash + 1)}});
  Plan plan;
  Status applied = ReconcileObject(*cached, logger, &plan);
  if (applied.code() == StatusCode::kConflict) {
    // The plan was made from a Cluster older than the API server's. Usually
    // the cache catches up within milliseconds and the retry sees it; when
    // it lags (seen after a Cluster was deleted and re-created under the
    // same name) reconcile once from a fresh read instead of waiting for it.
    auto fresh = client_.Get(k8s::CnpgResource("clusters").InNamespace(key.substr(0, slash)).Named(key.substr(slash + 1)));
    if (fresh.ok() && (fresh->value("/metadata/uid"_json_pointer, "") != cached->value("/metadata/uid"_json_pointer, "") ||
                       fresh->value("/metadata/resourceVersion"_json_pointer, "") !=
                           cached->value("/metadata/resourceVersion"_json_pointer, ""))) {
      logger.Info("the Cluster cache is behind the API server; reconciling from a fresh read",
                  {{"cached_uid", cached->value("/metadata/uid"_json_pointer, "")},
                   {"uid", fresh->value("/metadata/uid"_json_pointer, "")}});
      applied = ReconcileObject(*fresh, logger, &plan);
    }
  }
  if (!applied.ok()) {
    logger.Warn("reconcile failed", {{"error", applied.message()}});
    return {applied, {}};
  }
  // Instance reports and object events drive the next reconcile; a slow
  // periodic one catches anything a lost event would leave behind.
  return {OkStatus(), plan.requeue_after.count() > 0 ? plan.requeue_after : Duration(std::chrono::minutes(5))};
}

Status ClusterController::ReconcileObject(const Json& object, const log::Logger& logger, Plan* plan) {
  auto observed = Observe(object);
  if (!observed.ok()) {
    logger.Warn("cannot read the Cluster", {{"error", observed.status().message()}});
    events_.Record(object, k8s::kEventWarning, "InvalidSpec", observed.status().message()).IgnoreError();
    return OkStatus();  // a new version of the object brings a new reconcile
  }
  *plan = PlanCluster(*observed, config_.settings);
  if (!plan->actions.empty() || !plan->status_patch.is_null()) {
    logger.Info("reconciling", {{"plan", plan->summary}, {"actions", plan->actions.size()},
                                {"status", !plan->status_patch.is_null()}});
  }
  return Apply(*observed, *plan, logger);
}

Status ClusterController::Apply(const ObservedCluster& o, const Plan& plan, const log::Logger& logger) {
  for (const Action& action : plan.actions) {
    Status st = ApplyAction(o, action, logger);
    if (st.code() == StatusCode::kAlreadyExists) continue;  // a stale cache; the next pass sees it
    if (!st.ok()) {
      std::string what = action.ref.resource + " " + action.ref.name;
      events_.Record(o.object, k8s::kEventWarning, "ReconcileError", "cannot create or change " + what + ": " + st.message())
          .IgnoreError();
      return st.WithContext(what);
    }
    if (!action.event_reason.empty()) {
      events_.Record(o.object, k8s::kEventNormal, action.event_reason, action.event_message).IgnoreError();
    }
  }
  if (!plan.status_patch.is_null()) {
    Json body = plan.status_patch;
    // The plan was made from this version of the Cluster; a newer one gets a
    // new plan (Conflict re-queues).
    body["metadata"]["resourceVersion"] = o.cluster.metadata.resource_version.value_or("");
    const std::string ns = o.cluster.metadata.namespace_.value_or("default");
    auto st = client_.Patch(k8s::CnpgResource("clusters").InNamespace(ns).Named(*o.cluster.metadata.name).Status(),
                            k8s::PatchType::kMerge, body.dump());
    if (!st.ok()) return st.status().WithContext("writing the Cluster status");
  }
  for (const Event& e : plan.events) events_.Record(o.object, e.type, e.reason, e.message).IgnoreError();
  return OkStatus();
}

StatusOr<Json> ClusterController::MakeSecret(const ObservedCluster& o, const Action& action) {
  const api::Cluster& c = o.cluster;
  // By uid: a Cluster re-created under the same name has a CA of its own.
  const std::string key = c.metadata.uid.value_or("");
  if (action.kind == Action::Kind::kCreateCredentials) {
    ASSIGN_OR_RETURN(std::string password, specs::GeneratePassword(random_));
    return specs::CredentialsSecret(c, action.credentials, password, config_.settings);
  }
  const WallTime now = clock_.WallNow();
  if (action.tls == specs::TlsSecretKind::kCa) {
    ASSIGN_OR_RETURN(tls::CertifiedKey ca, tls::CreateCa(*c.metadata.name, now));
    std::lock_guard lock(mu_);
    new_cas_[key] = ca;
    return specs::TlsSecret(c, action.tls, ca, config_.settings);
  }
  tls::CertifiedKey ca;
  {
    std::lock_guard lock(mu_);
    if (auto it = new_cas_.find(key); it != new_cas_.end()) ca = it->second;
  }
  if (ca.certificate.empty()) {
    const std::string name = specs::CaSecretName(*c.metadata.name);
    ASSIGN_OR_RETURN(Json secret, client_.Get(action.ref.Named(name)));
    ca.certificate = k8s::Base64Decode(StringAt(secret, {"data", "ca.crt"}));
    ca.private_key = k8s::Base64Decode(StringAt(secret, {"data", "ca.key"}));
    if (ca.private_key.empty()) return FailedPreconditionError("Secret " + name + " holds no ca.key to sign with");
  }
  tls::CertificateRequest request = action.tls == specs::TlsSecretKind::kServer
                                        ? specs::ServerCertificateRequest(c, config_.settings)
                                        : specs::ReplicationCertificateRequest();
  ASSIGN_OR_RETURN(tls::CertifiedKey leaf, tls::IssueCertificate(ca, request, now));
  return specs::TlsSecret(c, action.tls, leaf, config_.settings);
}

Status ClusterController::ApplyAction(const ObservedCluster& o, const Action& action, const log::Logger& logger) {
  const std::string key = o.cluster.metadata.namespace_.value_or("default") + "/" + *o.cluster.metadata.name;
  switch (action.kind) {
    case Action::Kind::kCreate: {
      if (action.ref.resource == "pods") Expect(key, action.ref.name);
      auto st = client_.Create(action.ref, action.object);
      if (st.ok()) logger.Info("created", {{"kind", action.ref.resource}, {"name", action.ref.name}});
      return st.status();
    }
    case Action::Kind::kCreateCredentials:
    case Action::Kind::kCreateTls: {
      ASSIGN_OR_RETURN(Json secret, MakeSecret(o, action));
      auto st = client_.Create(action.ref, secret);
      if (st.ok()) logger.Info("created", {{"kind", "secrets"}, {"name", action.ref.name}});
      return st.status();
    }
    case Action::Kind::kPromote: {
      pb::PromoteRequest request;
      request.set_expected_target(action.expected_target);
      request.set_wait_seconds(1);
      auto st = instances_.Promote(action.address, request, std::chrono::seconds(3));
      // A wake-up only: the instance promotes from the status it watches.
      if (!st.ok()) logger.Info("promote wake-up not taken", {{"pod", action.expected_target}, {"error", st.status().message()}});
      return OkStatus();
    }
    case Action::Kind::kPatch:
      return client_.Patch(action.ref, k8s::PatchType::kMerge, action.object.dump()).status();
    case Action::Kind::kDelete: {
      Status st = client_.Delete(action.ref);
      if (st.code() == StatusCode::kNotFound) return OkStatus();
      if (st.ok()) logger.Info("deleted", {{"kind", action.ref.resource}, {"name", action.ref.name}});
      return st;
    }
  }
  return OkStatus();
}

}  // namespace tusk::op::cluster
