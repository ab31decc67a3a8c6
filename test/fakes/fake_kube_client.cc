#include "test/fakes/fake_kube_client.h"

#include <algorithm>
#include <map>

#include "common/base/clock.h"
#include "common/k8s/labels.h"
#include "common/k8s/merge_patch.h"

namespace tusk::k8s {
namespace {

std::map<std::string, std::string> LabelsOf(const Json& obj) {
  std::map<std::string, std::string> out;
  const Json& l = obj["metadata"].value("labels", Json::object());
  for (const auto& [k, v] : l.items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

// metadata.name / metadata.namespace field selectors ("=", "==", "!=");
// other fields read as empty.
bool MatchesFields(const std::string& selector, const Json& obj) {
  auto reqs = ParseRequirements(selector, false);
  if (!reqs.ok()) return false;
  const Json& meta = obj["metadata"];
  const std::map<std::string, std::string> fields = {{"metadata.name", meta.value("name", "")},
                                                     {"metadata.namespace", meta.value("namespace", "")}};
  for (const auto& r : *reqs) {
    auto it = fields.find(r.key);
    if (!RequirementMatches(r, it == fields.end() ? "" : it->second)) return false;
  }
  return true;
}


}  // namespace

std::string FakeKubeClient::Collection(const ResourceRef& ref) { return ref.group + "/" + ref.resource; }

std::string FakeKubeClient::Key(const ResourceRef& ref, const std::string& ns, const std::string& name) {
  return Collection(ref) + "|" + ns + "|" + name;
}

Status FakeKubeClient::Injected(const std::string& verb) {
  ++calls_[verb];
  auto it = failures_.find(verb);
  if (it == failures_.end() || it->second.empty()) return OkStatus();
  Status s = it->second.front();
  it->second.pop_front();
  return s;
}

void FakeKubeClient::FailNext(const std::string& verb, Status error, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  for (int i = 0; i < times; ++i) failures_[verb].push_back(error);
}

void FakeKubeClient::Record(WatchEvent::Type type, const ResourceRef& ref, const Json& object) {
  history_.push_back(Event{rv_, type, Collection(ref), object["metadata"].value("namespace", ""), object.dump()});
  cv_.notify_all();
}

StatusOr<Json> FakeKubeClient::Get(const ResourceRef& ref) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(Injected("get"));
  auto it = objects_.find(Key(ref, ref.namespace_, ref.name));
  if (it == objects_.end()) return NotFoundError(ref.GroupResource() + " \"" + ref.name + "\" not found");
  return it->second;
}

StatusOr<ListResult> FakeKubeClient::List(const ResourceRef& ref, const ListOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(Injected("list"));
  ASSIGN_OR_RETURN(LabelSelector selector, LabelSelector::Parse(options.label_selector));
  const std::string prefix = Collection(ref) + "|";
  ListResult out;
  out.resource_version = std::to_string(rv_);
  int64_t skip = options.continue_token.empty() ? 0 : std::stoll(options.continue_token);
  int64_t index = 0;
  for (auto it = objects_.lower_bound(prefix); it != objects_.end() && it->first.rfind(prefix, 0) == 0; ++it) {
    const Json& obj = it->second;
    if (!ref.namespace_.empty() && obj["metadata"].value("namespace", "") != ref.namespace_) continue;
    if (!selector.Matches(LabelsOf(obj)) || !MatchesFields(options.field_selector, obj)) continue;
    if (index++ < skip) continue;
    if (options.limit > 0 && static_cast<int64_t>(out.items.size()) == options.limit) {
      out.continue_token = std::to_string(index - 1);
      break;
    }
    out.items.push_back(obj);
  }
  return out;
}

StatusOr<Json> FakeKubeClient::Create(const ResourceRef& ref, const Json& object) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(Injected("create"));
  Json obj = object;
  Json& meta = obj["metadata"];
  if (!ref.namespace_.empty()) meta["namespace"] = ref.namespace_;
  std::string name = meta.value("name", "");
  if (name.empty() && meta.contains("generateName")) {
    name = meta["generateName"].get<std::string>() + std::to_string(++uid_);
    meta["name"] = name;
  }
  if (name.empty()) {
    return InvalidArgumentError(obj.value("kind", "Object") + " \"\" is invalid: metadata.name: Required value: name or generateName is required");
  }
  const std::string ns = meta.value("namespace", "");
  std::string key = Key(ref, ns, name);
  if (objects_.count(key)) return AlreadyExistsError(ref.GroupResource() + " \"" + name + "\" already exists");
  ++rv_;
  meta["resourceVersion"] = std::to_string(rv_);
  meta["uid"] = "uid-" + std::to_string(++uid_);
  meta["creationTimestamp"] = FormatRfc3339(std::chrono::system_clock::now());
  meta["generation"] = 1;
  objects_[key] = obj;
  Record(WatchEvent::Type::kAdded, ref, obj);
  return obj;
}

StatusOr<Json> FakeKubeClient::Update(const ResourceRef& ref, const Json& object) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(Injected("update"));
  return UpdateLocked(ref, object);
}

StatusOr<Json> FakeKubeClient::UpdateLocked(const ResourceRef& ref, const Json& object) {
  const Json& meta = object.value("metadata", Json::object());
  std::string name = ref.name.empty() ? meta.value("name", "") : ref.name;
  std::string ns = ref.namespace_.empty() ? meta.value("namespace", "") : ref.namespace_;
  auto it = objects_.find(Key(ref, ns, name));
  if (it == objects_.end()) return NotFoundError(ref.GroupResource() + " \"" + name + "\" not found");
  Json& current = it->second;
  std::string want_rv = meta.value("resourceVersion", "");
  if (!want_rv.empty() && want_rv != current["metadata"]["resourceVersion"]) {
    return ConflictError("Operation cannot be fulfilled on " + ref.GroupResource() + " \"" + name +
                         "\": the object has been modified; please apply your changes to the latest version and try again");
  }
  Json next = object;
  if (ref.subresource == "status") {
    next = current;
    if (object.contains("status")) next["status"] = object["status"];
  } else {
    if (current.contains("status")) {
      next["status"] = current["status"];
    } else {
      next.erase("status");
    }
    int64_t gen = current["metadata"].value("generation", 1);
    if (next.value("spec", Json()) != current.value("spec", Json())) ++gen;
    next["metadata"]["generation"] = gen;
  }
  for (const char* k : {"uid", "creationTimestamp", "namespace", "name"}) {
    if (current["metadata"].contains(k)) next["metadata"][k] = current["metadata"][k];
  }
  if (next == current) return current;  // no-op writes do not bump the version
  ++rv_;
  next["metadata"]["resourceVersion"] = std::to_string(rv_);
  current = next;
  Record(WatchEvent::Type::kModified, ref, current);
  return current;
}

StatusOr<Json> FakeKubeClient::Patch(const ResourceRef& ref, PatchType type, const std::string& body,
                                     const PatchOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(Injected("patch"));
  if (type == PatchType::kApply && options.field_manager.empty()) {
    return InvalidArgumentError("PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value");
  }
  auto it = objects_.find(Key(ref, ref.namespace_, ref.name));
  if (it == objects_.end()) return NotFoundError(ref.GroupResource() + " \"" + ref.name + "\" not found");
  const Json& current = it->second;
  Json patch = Json::parse(body, nullptr, false);
  if (patch.is_discarded()) return InvalidArgumentError("the body of the request was in an unknown format");
  Json next = current;
  if (type == PatchType::kJson) {
    try {
      next = current.patch(patch);
    } catch (const std::exception& e) {
      return InvalidArgumentError(std::string("the JSON patch does not apply: ") + e.what());
    }
  } else {
    // Strategic merge and server-side apply are approximated by a merge patch.
    ApplyMergePatch(next, patch);
  }
  // A resourceVersion inside the patch is a precondition; otherwise the
  // patch applies to whatever is current.
  bool has_rv = patch.is_object() && patch.contains("metadata") && patch["metadata"].is_object() &&
                patch["metadata"].contains("resourceVersion");
  if (!has_rv) next["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"];
  return UpdateLocked(ref, next);
}

Status FakeKubeClient::CheckPreconditions(const Json& current, const DeleteOptions& options) const {
  const Json& meta = current["metadata"];
  if (options.precondition_uid && *options.precondition_uid != meta.value("uid", "")) {
    return ConflictError("Precondition failed: UID in precondition: " + *options.precondition_uid +
                         ", UID in object meta: " + meta.value("uid", ""));
  }
  if (options.precondition_resource_version &&
      *options.precondition_resource_version != meta.value("resourceVersion", "")) {
    return ConflictError("Precondition failed: ResourceVersion in precondition: " +
                         *options.precondition_resource_version +
                         ", ResourceVersion in object meta: " + meta.value("resourceVersion", ""));
  }
  return OkStatus();
}

Status FakeKubeClient::Delete(const ResourceRef& ref, const DeleteOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(Injected("delete"));
  auto it = objects_.find(Key(ref, ref.namespace_, ref.name));
  if (it == objects_.end()) return NotFoundError(ref.GroupResource() + " \"" + ref.name + "\" not found");
  RETURN_IF_ERROR(CheckPreconditions(it->second, options));
  Json obj = std::move(it->second);
  objects_.erase(it);
  ++rv_;
  obj["metadata"]["resourceVersion"] = std::to_string(rv_);
  Record(WatchEvent::Type::kDeleted, ref, obj);
  return OkStatus();
}

Status FakeKubeClient::Watch(const ResourceRef& ref, const ListOptions& options, const WatchHandler& handler,
                             WatchCanceller* canceller) {
  std::unique_lock<std::mutex> lock(mu_);
  RETURN_IF_ERROR(Injected("watch"));
  ASSIGN_OR_RETURN(LabelSelector selector, LabelSelector::Parse(options.label_selector));
  const std::string collection = Collection(ref);
  int64_t from = options.resource_version.empty() ? rv_ : std::stoll(options.resource_version);
  if (from < oldest_rv_) {
    return GoneError("too old resource version: " + std::to_string(from) + " (" + std::to_string(oldest_rv_) + ")");
  }
  const uint64_t generation = close_generation_;
  ++open_watches_;
  struct Closer {
    FakeKubeClient* self;
    WatchCanceller* canceller;
    ~Closer() {
      --self->open_watches_;
      if (canceller) {
        self->mu_.unlock();
        canceller->SetHook(nullptr);
        self->mu_.lock();
      }
    }
  } closer{this, canceller};
  if (canceller) {
    lock.unlock();
    canceller->SetHook([this] {
      std::lock_guard<std::mutex> inner(mu_);
      cv_.notify_all();
    });
    lock.lock();
  }
  // Events are found by resourceVersion: history_ is ordered by it.
  auto next_index = [&](int64_t after) {
    auto it = std::upper_bound(history_.begin(), history_.end(), after,
                               [](int64_t rv, const Event& e) { return rv < e.rv; });
    return static_cast<size_t>(it - history_.begin());
  };
  int64_t position = from;
  while (true) {
    if (canceller && canceller->cancelled()) return CancelledError("watch cancelled");
    if (close_generation_ != generation) return OkStatus();
    if (position < oldest_rv_) {
      return GoneError("too old resource version: " + std::to_string(position) + " (" + std::to_string(oldest_rv_) +
                       ")");
    }
    size_t i = next_index(position);
    if (i == history_.size()) {
      cv_.wait(lock);
      continue;
    }
    Event ev = history_[i];
    position = ev.rv;
    if (ev.type == WatchEvent::Type::kBookmark) {
      if (!options.allow_bookmarks) continue;
    } else {
      if (ev.collection != collection) continue;
      if (!ref.namespace_.empty() && ev.namespace_ != ref.namespace_) continue;
      Json obj = Json::parse(ev.object);
      std::map<std::string, std::string> labels;
      const Json obj_labels = obj["metadata"].value("labels", Json::object());
      for (const auto& [k, v] : obj_labels.items()) {
        if (v.is_string()) labels[k] = v.get<std::string>();
      }
      if (!selector.Matches(labels) || !MatchesFields(options.field_selector, obj)) continue;
    }
    lock.unlock();
    bool more = handler(WatchEvent{ev.type, ev.object});
    lock.lock();
    if (!more) return OkStatus();
  }
}

void FakeKubeClient::CloseWatches() {
  std::lock_guard<std::mutex> lock(mu_);
  ++close_generation_;
  cv_.notify_all();
}

void FakeKubeClient::CompactHistory() {
  std::lock_guard<std::mutex> lock(mu_);
  oldest_rv_ = rv_;
  history_.clear();
  cv_.notify_all();
}

void FakeKubeClient::SendBookmark() {
  std::lock_guard<std::mutex> lock(mu_);
  ++rv_;
  history_.push_back(Event{rv_, WatchEvent::Type::kBookmark, "", "",
                           Json{{"kind", "Bookmark"}, {"metadata", {{"resourceVersion", std::to_string(rv_)}}}}.dump()});
  cv_.notify_all();
}

int64_t FakeKubeClient::calls(const std::string& verb) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = calls_.find(verb);
  return it == calls_.end() ? 0 : it->second;
}

int FakeKubeClient::open_watches() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_watches_;
}

std::string FakeKubeClient::resource_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::to_string(rv_);
}

}  // namespace tusk::k8s
