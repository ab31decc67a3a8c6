#include "test/localkube/apiserver/api.h"

#include <algorithm>

#include "test/localkube/apiserver/kinds.h"
#include "test/localkube/apiserver/meta_util.h"
#include "test/localkube/apiserver/rbac.h"
#include "test/localkube/apiserver/schema.h"
#include "test/localkube/apiserver/selectors.h"
#include "test/localkube/apiserver/service_accounts.h"

namespace tusk::localkube {

WatchHandle::WatchHandle(ChannelPtr channel, std::function<void(EventType, const json&)> cb)
    : channel_(std::move(channel)) {
  thread_ = std::thread([ch = channel_, cb = std::move(cb)] {
    while (!ch->closed()) {
      auto ev = ch->Pop(std::chrono::milliseconds(500));
      if (ev) cb(ev->type, *ev->object);
    }
  });
}

WatchHandle::~WatchHandle() { Stop(); }

void WatchHandle::Stop() {
  channel_->Close();
  if (thread_.joinable()) thread_.join();
}

Api::Api(Store* store, Registry* registry, const TokenAuthority* tokens)
    : store_(store), registry_(registry), tokens_(tokens) {}

namespace {

const char* kCrds = "customresourcedefinitions.apiextensions.k8s.io";

bool HasDeletionTimestamp(const json& o) { return o.contains("/metadata/deletionTimestamp"_json_pointer); }

json WithoutRv(json o) {
  if (o.contains("metadata")) o["metadata"].erase("resourceVersion");
  return o;
}

bool SpecChanged(const ResourceInfo& r, const json& a, const json& b) {
  json x = a, y = b;
  for (json* o : {&x, &y}) {
    o->erase("metadata");
    if (r.has_sub("status")) o->erase("status");
  }
  return x != y;
}

std::string StoredVersion(const ResourceInfo& r) { return r.versions.front(); }

}  // namespace

json Api::AsVersion(const ResourceInfo& r, const json& stored, const std::string& version) const {
  if (version.empty() || version == StoredVersion(r)) return stored;
  json out = stored;
  out["apiVersion"] = r.api_version(version);
  return out;
}

ApiOr<bool> Api::Bootstrap() {
  for (const auto& ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    if (!store_->Get("namespaces", "", ns)) {
      auto r = Create("namespaces", "", {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
      if (!r.ok()) return r.error();
    }
  }
  for (auto role : BootstrapClusterRoles()) {
    if (!store_->Get("clusterroles.rbac.authorization.k8s.io", "", role["metadata"]["name"])) {
      auto r = Create("clusterroles.rbac.authorization.k8s.io", "", role);
      if (!r.ok()) return r.error();
    }
  }
  for (auto b : BootstrapClusterRoleBindings()) {
    if (!store_->Get("clusterrolebindings.rbac.authorization.k8s.io", "", b["metadata"]["name"])) {
      auto r = Create("clusterrolebindings.rbac.authorization.k8s.io", "", b);
      if (!r.ok()) return r.error();
    }
  }
  for (const auto& crd : store_->List(kCrds, "", nullptr).items) registry_->InstallCrd(*crd);
  return true;
}

ApiOr<json> Api::Get(const std::string& gr, const std::string& ns, const std::string& name,
                     const std::string& version) const {
  auto r = Resolve(gr);
  if (!r || !r->stored) return ResourceNotFound();
  auto obj = store_->Get(gr, r->namespaced ? ns : "", name);
  if (!obj) return NotFound(r->group, r->resource, name);
  return AsVersion(*r, *obj, version);
}

ApiOr<WatchChannel::Match> Api::MakeMatch(const ResourceInfo& r, const ListOptions& opts) const {
  auto labels = LabelSelector::Parse(opts.label_selector);
  if (!labels.ok()) return BadRequest("unable to parse requirement: " + std::string(labels.status().message()));
  std::string err;
  auto fields = FieldSelector::Parse(opts.field_selector, &err);
  if (!fields) return BadRequest(err);
  std::string gr = r.group_resource();
  std::string bad = fields->Unsupported(SupportedFields(gr, r.namespaced));
  if (!bad.empty()) return BadRequest("field label not supported: " + bad);
  if (labels->empty() && fields->empty()) return WatchChannel::Match(nullptr);
  return WatchChannel::Match([l = *labels, f = *fields, gr](const json& o) {
    if (!l.Matches(o.contains("metadata") ? o["metadata"].value("labels", json(nullptr)) : json(nullptr))) return false;
    return f.empty() || f.Matches(FieldValues(gr, o));
  });
}

ApiOr<Api::RawList> Api::ListRaw(const std::string& gr, const std::string& ns, const ListOptions& opts) const {
  auto r = Resolve(gr);
  if (!r || !r->stored) return ResourceNotFound();
  auto match = MakeMatch(*r, opts);
  if (!match.ok()) return match.error();
  std::string start;
  uint64_t list_rv = 0;
  if (!opts.continue_token.empty()) {
    auto raw = Base64Decode(opts.continue_token);
    json tok = raw ? json::parse(*raw, nullptr, false) : json();
    if (!tok.is_object() || !tok.contains("start")) return BadRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
    list_rv = tok.value("rv", uint64_t{0});
    if (list_rv < store_->oldest_watchable_rv()) {
      return Expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
    }
    start = tok["start"];
  }
  auto res = store_->List(gr, r->namespaced ? ns : "", *match, opts.limit, start);
  if (list_rv == 0) list_rv = res.rv;
  json meta = {{"resourceVersion", std::to_string(list_rv)}};
  if (!res.next_key.empty()) {
    meta["continue"] = Base64UrlEncode(json({{"v", "meta.k8s.io/v1"}, {"rv", list_rv}, {"start", res.next_key}}).dump());
    meta["remainingItemCount"] = res.remaining;
  }
  return RawList{std::move(res.items), std::move(meta)};
}

ApiOr<json> Api::List(const std::string& gr, const std::string& ns, const ListOptions& opts,
                      const std::string& version) const {
  auto raw = ListRaw(gr, ns, opts);
  if (!raw.ok()) return raw.error();
  auto r = Resolve(gr);
  json items = json::array();
  for (const auto& o : raw->items) items.push_back(AsVersion(*r, *o, version));
  return json{{"kind", r->kind + "List"}, {"apiVersion", r->api_version(version.empty() ? StoredVersion(*r) : version)},
              {"metadata", raw->metadata}, {"items", std::move(items)}};
}

ApiOr<ChannelPtr> Api::Watch(const std::string& gr, const std::string& ns, const ListOptions& opts) const {
  auto r = Resolve(gr);
  if (!r || !r->stored) return ResourceNotFound();
  auto match = MakeMatch(*r, opts);
  if (!match.ok()) return match.error();
  std::optional<uint64_t> from;
  if (!opts.resource_version.empty() && opts.resource_version != "0") {
    char* end = nullptr;
    uint64_t v = std::strtoull(opts.resource_version.c_str(), &end, 10);
    if (!end || *end) return BadRequest("invalid resource version: " + opts.resource_version);
    from = v;
  }
  auto ch = store_->Watch(gr, r->namespaced ? ns : "", from, *match);
  if (!ch.ok()) return Expired(ch.status().message());
  return *ch;
}

ApiOr<std::unique_ptr<WatchHandle>> Api::WatchWithCallback(const std::string& gr, const std::string& ns,
                                                           const ListOptions& opts,
                                                           std::function<void(EventType, const json&)> cb) const {
  auto ch = Watch(gr, ns, opts);
  if (!ch.ok()) return ch.error();
  return std::make_unique<WatchHandle>(*ch, std::move(cb));
}

ApiOr<bool> Api::CheckNamespace(const ResourceInfo& r, const std::string& ns) const {
  if (!r.namespaced) return true;
  auto nso = store_->Get("namespaces", "", ns);
  if (!nso) return NotFound("", "namespaces", ns);
  if (HasDeletionTimestamp(*nso)) {
    return Forbidden(r.group, r.resource, "",
                     "unable to create new content in namespace " + ns + " because it is being terminated");
  }
  return true;
}

// Checks and normalizes kind, apiVersion, namespace and name of a written
// object. Returns the object's name.
ApiOr<json> Api::ValidateCommon(const ResourceInfo& r, const std::string& ns, json& obj, bool create) const {
  if (!obj.is_object()) return BadRequest("the body of the request was not a JSON object");
  std::string kind = obj.value("kind", "");
  if (!kind.empty() && kind != r.kind) {
    return BadRequest("the kind in the data (" + kind + ") does not match the expected kind (" + r.kind + ")");
  }
  obj["kind"] = r.kind;
  std::string api_version = obj.value("apiVersion", "");
  std::string version = StoredVersion(r);
  if (!api_version.empty()) {
    std::string group = api_version.find('/') == std::string::npos ? "" : api_version.substr(0, api_version.find('/'));
    version = api_version.substr(api_version.find('/') + 1);
    if (group != r.group || !r.serves(version)) {
      return BadRequest("the API version in the data (" + api_version + ") does not match the expected API version (" +
                        r.api_version(StoredVersion(r)) + ")");
    }
  }
  obj["apiVersion"] = r.api_version(StoredVersion(r));
  if (!obj.contains("metadata") || !obj["metadata"].is_object()) obj["metadata"] = json::object();
  json& meta = obj["metadata"];
  if (r.namespaced) {
    std::string ons = meta.value("namespace", "");
    if (!ons.empty() && ons != ns) {
      return BadRequest("the namespace of the provided object does not match the namespace sent on the request");
    }
    meta["namespace"] = ns;
  } else {
    meta.erase("namespace");
  }
  std::vector<FieldError> errs;
  std::string name = meta.value("name", "");
  if (create && name.empty()) {
    std::string prefix = meta.value("generateName", "");
    if (prefix.empty()) {
      errs.push_back(RequiredField("metadata.name", "name or generateName is required"));
    } else {
      if (prefix.size() > 58) prefix.resize(58);
      name = prefix + RandomSuffix();
      meta["name"] = name;
    }
  }
  if (!name.empty()) {
    std::string bad;
    if (r.group == "rbac.authorization.k8s.io") {
      if (name == "." || name == ".." || name.find('/') != std::string::npos || name.find('%') != std::string::npos) {
        bad = "may not contain '/' or '%'";
      }
    } else if (r.resource == "namespaces" || r.resource == "services") {
      bad = ValidateDns1123Label(name);
    } else {
      bad = ValidateDns1123Subdomain(name);
    }
    if (!bad.empty()) errs.push_back(InvalidField("metadata.name", name, bad));
  }
  if (meta.contains("labels") && !meta["labels"].is_object() && !meta["labels"].is_null()) {
    errs.push_back(InvalidField("metadata.labels", meta["labels"], "must be a map of strings"));
  }
  if (!errs.empty()) return Invalid(r.group, r.kind, name, errs);
  return json(name);
}

ApiOr<bool> Api::ApplySchemaFor(const ResourceInfo& r, json& obj, const WriteOptions& opts,
                                std::vector<std::string>* warnings) const {
  std::vector<FieldError> errs = ValidateKind(r, obj);
  if (r.crd) {
    auto it = r.schemas.find(StoredVersion(r));
    if (it != r.schemas.end()) {
      SchemaOutcome out = ApplySchema(obj, it->second);
      if (!out.pruned.empty() && opts.field_validation == "Strict") {
        std::string msg = r.kind + " in version \"" + StoredVersion(r) + "\" cannot be handled as a " + r.kind +
                          ": strict decoding error: ";
        for (size_t i = 0; i < out.pruned.size(); ++i) msg += (i ? ", " : "") + std::string("unknown field \"") + out.pruned[i] + "\"";
        return BadRequest(msg);
      }
      if (opts.field_validation != "Ignore") {
        for (const auto& p : out.pruned) warnings->push_back("unknown field \"" + p + "\"");
      }
      errs.insert(errs.end(), out.errors.begin(), out.errors.end());
    }
  }
  if (!errs.empty()) return Invalid(r.group, r.kind, obj["metadata"].value("name", ""), errs);
  return true;
}

ApiOr<Mutation> Api::DecideCreate(const ResourceInfo& r, const std::string& ns, json& obj, const WriteOptions& opts,
                                  std::vector<std::string>* warnings, const json* current) {
  (void)ns;
  std::string name = obj["metadata"].value("name", "");
  if (current) {
    auto e = AlreadyExists(r.group, r.resource, name);
    if (!obj["metadata"].value("generateName", "").empty()) {
      e.message += ", the server was not able to generate a unique name for the object";
      e.details["retryAfterSeconds"] = 1;
    }
    return e;
  }
  json& meta = obj["metadata"];
  meta["uid"] = NewUid();
  meta["creationTimestamp"] = NowRfc3339();
  meta.erase("deletionTimestamp");
  meta.erase("deletionGracePeriodSeconds");
  meta.erase("resourceVersion");
  if (TracksGeneration(r)) {
    meta["generation"] = 1;
  } else {
    meta.erase("generation");
  }
  DefaultOnCreate(r, obj, &next_cluster_ip_);
  DefaultOnWrite(r, obj);
  auto ok = ApplySchemaFor(r, obj, opts, warnings);
  if (!ok.ok()) return ok.error();
  if (r.group_resource() == kCrds) {
    obj["status"] = CrdStatus(obj);
  }
  return Mutation{Mutation::Kind::kPut, obj};
}

ApiOr<Mutation> Api::DecideUpdate(const ResourceInfo& r, const std::string& ns, const std::string& name, json obj,
                                  const json& current, const WriteOptions& opts, const std::string& subresource,
                                  std::vector<std::string>* warnings) {
  auto common = ValidateCommon(r, ns, obj, false);
  if (!common.ok()) return common.error();
  const json& meta = obj["metadata"];
  std::string body_name = meta.value("name", "");
  if (!body_name.empty() && body_name != name) {
    return BadRequest("the name of the object (" + body_name + ") does not match the name on the URL (" + name + ")");
  }
  std::string rv = meta.value("resourceVersion", "");
  if (!rv.empty() && rv != current["metadata"].value("resourceVersion", "")) {
    return OptimisticLockConflict(r.group, r.resource, name);
  }
  json next;
  if (subresource == "status") {
    next = current;
    if (obj.contains("status")) {
      next["status"] = obj["status"];
    } else {
      next.erase("status");
    }
  } else if (subresource == "finalize") {
    next = current;
    next["spec"]["finalizers"] = obj.value("spec", json::object()).value("finalizers", json::array());
  } else {
    next = std::move(obj);
    json& nm = next["metadata"];
    const json& cm = current["metadata"];
    for (const char* k : {"uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation",
                          "namespace", "name"}) {
      if (cm.contains(k)) {
        nm[k] = cm[k];
      } else {
        nm.erase(k);
      }
    }
    if (!nm.contains("managedFields") && cm.contains("managedFields")) nm["managedFields"] = cm["managedFields"];
    if (r.has_sub("status")) {
      if (current.contains("status")) {
        next["status"] = current["status"];
      } else {
        next.erase("status");
      }
    }
    if (r.group_resource() == "namespaces") next["spec"]["finalizers"] = current.value("spec", json::object()).value("finalizers", json::array());
    DefaultOnWrite(r, next);
    if (HasDeletionTimestamp(current)) {
      json old_f = cm.value("finalizers", json::array());
      json added = json::array();
      for (const auto& f : nm.value("finalizers", json::array())) {
        if (std::find(old_f.begin(), old_f.end(), f) == old_f.end()) added.push_back(f);
      }
      if (!added.empty()) {
        std::string list = "[]string{";
        for (size_t i = 0; i < added.size(); ++i) list += (i ? ", " : "") + added[i].dump();
        list += "}";
        return Invalid(r.group, r.kind, name,
                       {ForbiddenField("metadata.finalizers",
                                       "no new finalizers can be added if the object is being deleted, found new finalizers " + list)});
      }
    }
  }
  next["metadata"]["resourceVersion"] = current["metadata"].value("resourceVersion", "");
  auto ok = ApplySchemaFor(r, next, opts, warnings);
  if (!ok.ok()) return ok.error();
  if (r.group_resource() == kCrds && subresource.empty()) next["status"] = CrdStatus(next);
  if (TracksGeneration(r) && SpecChanged(r, current, next)) {
    next["metadata"]["generation"] = current["metadata"].value("generation", 0) + 1;
  }
  if (WithoutRv(next) == WithoutRv(current)) return Mutation{Mutation::Kind::kNoop, {}};
  const json& nm = next["metadata"];
  bool finalizers_empty = nm.value("finalizers", json::array()).empty() &&
                          (r.group_resource() != "namespaces" ||
                           next.value("spec", json::object()).value("finalizers", json::array()).empty());
  if (HasDeletionTimestamp(next) && finalizers_empty && nm.value("deletionGracePeriodSeconds", 0) == 0) {
    return Mutation{Mutation::Kind::kDelete, {}};
  }
  return Mutation{Mutation::Kind::kPut, std::move(next)};
}

ApiOr<WriteOutcome> Api::Write(const ResourceInfo& r, const std::string& ns, const std::string& name, bool dry_run,
                               const std::function<ApiOr<Mutation>(const json*)>& decide, bool* deleted) {
  WriteOutcome out;
  bool is_crd = r.group_resource() == kCrds;
  json before;
  bool existed = false;
  auto wrapped = [&](const json* cur) -> ApiOr<Mutation> {
    existed = cur != nullptr;
    if (cur && is_crd) before = *cur;
    return decide(cur);
  };
  std::string key_ns = r.namespaced ? ns : "";
  if (dry_run) {
    auto cur = store_->Get(r.group_resource(), key_ns, name);
    auto m = wrapped(cur.get());
    if (!m.ok()) return m.error();
    if (m->kind == Mutation::Kind::kPut) {
      out.object = m->object;
    } else if (cur) {
      out.object = *cur;
    }
    out.created = !existed;
    *deleted = m->kind == Mutation::Kind::kDelete;
    return out;
  }
  Mutation::Kind kind = Mutation::Kind::kNoop;
  auto res = store_->Mutate(r.group_resource(), key_ns, name, [&](const json* cur) -> ApiOr<Mutation> {
    auto m = wrapped(cur);
    if (m.ok()) kind = m->kind;
    return m;
  });
  if (!res.ok()) return res.error();
  out.object = **res;
  out.created = !existed;
  *deleted = kind == Mutation::Kind::kDelete;
  if (kind != Mutation::Kind::kNoop) AfterWrite(r, existed ? &before : nullptr, &out.object, *deleted);
  return out;
}

void Api::AfterWrite(const ResourceInfo& r, const json* before, const json* after, bool deleted) {
  const std::string gr = r.group_resource();
  if (gr == kCrds) {
    if (deleted) {
      const json& spec = (*after)["spec"];
      std::string cr_gr = spec["names"].value("plural", "") + "." + spec.value("group", "");
      for (const auto& o : store_->List(cr_gr, "", nullptr).items) {
        const json& m = (*o)["metadata"];
        store_->Mutate(cr_gr, m.value("namespace", ""), m.value("name", ""),
                       [](const json*) -> ApiOr<Mutation> { return Mutation{Mutation::Kind::kDelete, {}}; });
      }
      registry_->RemoveCrd(spec.value("group", ""), spec["names"].value("plural", ""));
    } else {
      (void)before;
      registry_->InstallCrd(*after);
    }
  } else if (gr == "namespaces" && !before && !deleted) {
    std::string ns = (*after)["metadata"].value("name", "");
    // Created with the namespace, so a pod created right after it is
    // admitted; the ServiceAccount controller brings it back if deleted.
    if (!store_->Get("serviceaccounts", ns, "default")) Create("serviceaccounts", ns, DefaultServiceAccount());
  }
}

ApiOr<WriteOutcome> Api::Create(const std::string& gr, const std::string& ns, json obj, const WriteOptions& opts) {
  auto r = Resolve(gr);
  if (!r || !r->stored) return ResourceNotFound();
  // Admission errors name the object as the client sent it: before a
  // generateName is filled in.
  std::string shown_name = StrAt(obj, "/metadata/name"_json_pointer);
  if (shown_name.empty()) shown_name = StrAt(obj, "/metadata/generateName"_json_pointer);
  auto name = ValidateCommon(*r, ns, obj, true);
  if (!name.ok()) return name.error();
  if (obj["metadata"].contains("resourceVersion") && obj["metadata"]["resourceVersion"] != "") {
    return BadRequest("resourceVersion should not be set on objects to be created");
  }
  obj["metadata"].erase("managedFields");
  auto ns_ok = CheckNamespace(*r, ns);
  if (!ns_ok.ok()) return ns_ok.error();
  // Admission reads the store: outside Write's lock.
  DefaultStorageClass(*r, obj, *store_);
  auto admitted = AdmitServiceAccount(*r, obj, *store_, shown_name);
  if (!admitted.ok()) return admitted.error();
  std::vector<std::string> warnings;
  bool deleted = false;
  auto out = Write(*r, ns, name->get<std::string>(), opts.dry_run,
                   [&](const json* cur) { return DecideCreate(*r, ns, obj, opts, &warnings, cur); }, &deleted);
  if (out.ok()) out->warnings = warnings;
  return out;
}

ApiOr<WriteOutcome> Api::Update(const std::string& gr, const std::string& ns, const std::string& name, json obj,
                                const WriteOptions& opts, const std::string& subresource) {
  auto r = Resolve(gr);
  if (!r || !r->stored) return ResourceNotFound();
  if (!subresource.empty() && !r->has_sub(subresource)) return ResourceNotFound();
  std::vector<std::string> warnings;
  bool deleted = false;
  auto out = Write(*r, ns, name, opts.dry_run, [&](const json* cur) -> ApiOr<Mutation> {
    if (!cur) return NotFound(r->group, r->resource, name);
    return DecideUpdate(*r, ns, name, obj, *cur, opts, subresource, &warnings);
  }, &deleted);
  if (out.ok()) out->warnings = warnings;
  return out;
}

ApiOr<json> Api::Delete(const std::string& gr, const std::string& ns, const std::string& name,
                        const DeleteOptions& opts) {
  auto r = Resolve(gr);
  if (!r || !r->stored) return ResourceNotFound();
  bool deleted = false;
  auto out = Write(*r, ns, name, opts.dry_run, [&](const json* cur) -> ApiOr<Mutation> {
    if (!cur) return NotFound(r->group, r->resource, name);
    const json& cm = (*cur)["metadata"];
    if (!opts.precondition_uid.empty() && opts.precondition_uid != cm.value("uid", "")) {
      return Conflict(r->group, r->resource, name,
                      "Precondition failed: UID in precondition: " + opts.precondition_uid +
                          ", UID in object meta: " + cm.value("uid", ""));
    }
    if (!opts.precondition_resource_version.empty() && opts.precondition_resource_version != cm.value("resourceVersion", "")) {
      return Conflict(r->group, r->resource, name,
                      "Precondition failed: ResourceVersion in precondition: " + opts.precondition_resource_version +
                          ", ResourceVersion in object meta: " + cm.value("resourceVersion", ""));
    }
    json next = *cur;
    json& nm = next["metadata"];
    bool deleting = HasDeletionTimestamp(*cur);
    if (gr == "namespaces") {
      if (deleting) return Mutation{Mutation::Kind::kNoop, {}};
      nm["deletionTimestamp"] = NowRfc3339();
      nm["deletionGracePeriodSeconds"] = 0;
      next["status"]["phase"] = "Terminating";
      return Mutation{Mutation::Kind::kPut, next};
    }
    json finalizers = nm.value("finalizers", json::array());
    auto add = [&](const char* f) {
      if (std::find(finalizers.begin(), finalizers.end(), f) == finalizers.end()) finalizers.push_back(f);
    };
    if (!deleting || !finalizers.empty()) {
      if (opts.propagation_policy == "Foreground") add("foregroundDeletion");
      if (opts.propagation_policy == "Orphan") add("orphan");
    }
    if (gr == "pods" && !StrAt(*cur, "/spec/nodeName"_json_pointer).empty()) {
      int64_t grace = opts.grace_period_seconds.value_or(
          (*cur).value("spec", json::object()).value("terminationGracePeriodSeconds", int64_t{30}));
      int64_t current_grace = cm.value("deletionGracePeriodSeconds", int64_t{-1});
      if (grace > 0 && (!deleting || grace < current_grace)) {
        nm["deletionTimestamp"] = FormatRfc3339(std::chrono::system_clock::now() + std::chrono::seconds(grace));
        nm["deletionGracePeriodSeconds"] = grace;
        if (!finalizers.empty()) nm["finalizers"] = finalizers;
        return Mutation{Mutation::Kind::kPut, next};
      }
      if (grace > 0) return Mutation{Mutation::Kind::kNoop, {}};
      nm["deletionGracePeriodSeconds"] = 0;
    }
    if (!finalizers.empty()) {
      if (!deleting) {
        nm["deletionTimestamp"] = NowRfc3339();
        if (TracksGeneration(*r)) nm["generation"] = nm.value("generation", 0) + 1;
      }
      nm["deletionGracePeriodSeconds"] = 0;
      nm["finalizers"] = finalizers;
      if (next == *cur) return Mutation{Mutation::Kind::kNoop, {}};
      return Mutation{Mutation::Kind::kPut, next};
    }
    return Mutation{Mutation::Kind::kDelete, {}};
  }, &deleted);
  if (!out.ok()) return out.error();
  return out->object;
}

}  // namespace tusk::localkube
