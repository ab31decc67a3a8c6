#include "common/k8s/object_cache.h"

#include <mutex>

#include "common/k8s/json_scan.h"

namespace tusk::k8s {

using Json = nlohmann::json;

StatusOr<Json> CachedObject::Decode() const {
  Json doc = Json::parse(*json, nullptr, false);
  if (doc.is_discarded()) return DataLossError("cached object " + Key() + " is not valid JSON");
  return doc;
}

std::map<std::string, std::string> CachedObject::LabelMap() const {
  return std::map<std::string, std::string>(labels.begin(), labels.end());
}

StatusOr<CachedObject> MakeCachedObject(std::string json_text) {
  CachedObject o;
  std::string_view meta = TopLevelMember(json_text, "metadata");
  if (meta.empty()) return InvalidArgumentError("object has no metadata");
  auto string_member = [&](std::string_view key) -> std::string {
    std::string_view v = TopLevelMember(meta, key);
    if (v.size() < 2 || v.front() != '"') return "";
    Json s = Json::parse(v, nullptr, false);  // handles escapes
    return s.is_string() ? s.get<std::string>() : "";
  };
  o.name = string_member("name");
  o.namespace_ = string_member("namespace");
  o.uid = string_member("uid");
  o.resource_version = string_member("resourceVersion");
  if (o.name.empty()) return InvalidArgumentError("object has no metadata.name");
  std::string_view labels = TopLevelMember(meta, "labels");
  if (!labels.empty()) {
    Json l = Json::parse(labels, nullptr, false);
    if (l.is_object()) {
      for (const auto& [k, v] : l.items()) {
        if (v.is_string()) o.labels.emplace_back(k, v.get<std::string>());
      }
    }
  }
  std::string_view owners = TopLevelMember(meta, "ownerReferences");
  if (!owners.empty()) {
    Json refs = Json::parse(owners, nullptr, false);
    if (refs.is_array()) {
      for (const auto& r : refs) {
        if (!r.is_object()) continue;
        o.owners.push_back(OwnerRef{r.value("uid", ""), r.value("kind", ""), r.value("name", ""),
                                    r.value("controller", false)});
      }
    }
  }
  json_text.shrink_to_fit();
  o.json = std::make_shared<const std::string>(std::move(json_text));
  return o;
}

void ObjectCache::IndexLocked(const CachedObject& o, bool add) {
  const std::string key = o.Key();
  auto apply = [&](std::map<std::string, std::set<std::string>>& index, const std::string& value) {
    if (add) {
      index[value].insert(key);
      return;
    }
    auto it = index.find(value);
    if (it == index.end()) return;
    it->second.erase(key);
    if (it->second.empty()) index.erase(it);
  };
  apply(by_namespace_, o.namespace_);
  for (const auto& [k, v] : o.labels) apply(by_label_, k + "=" + v);
  for (const auto& owner : o.owners) apply(by_owner_, owner.uid);
  if (add) {
    json_bytes_ += o.json->size();
  } else {
    json_bytes_ -= o.json->size();
  }
}

std::optional<CachedObject> ObjectCache::Upsert(CachedObject object) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  const std::string key = object.Key();
  std::optional<CachedObject> previous;
  auto it = objects_.find(key);
  if (it != objects_.end()) {
    IndexLocked(it->second, false);
    previous = std::move(it->second);
    it->second = std::move(object);
    IndexLocked(it->second, true);
  } else {
    auto [pos, inserted] = objects_.emplace(key, std::move(object));
    IndexLocked(pos->second, true);
  }
  return previous;
}

std::optional<CachedObject> ObjectCache::Remove(const std::string& key) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  IndexLocked(it->second, false);
  CachedObject out = std::move(it->second);
  objects_.erase(it);
  return out;
}

void ObjectCache::Replace(std::vector<CachedObject> objects, std::vector<CachedObject>* removed,
                          std::vector<std::pair<std::optional<CachedObject>, CachedObject>>* changed) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  std::unordered_map<std::string, CachedObject> next;
  next.reserve(objects.size());
  for (auto& o : objects) {
    std::string key = o.Key();
    next.insert_or_assign(std::move(key), std::move(o));
  }
  for (auto& [key, old] : objects_) {
    if (!next.count(key)) removed->push_back(old);
  }
  for (auto& [key, o] : next) {
    auto it = objects_.find(key);
    if (it == objects_.end()) {
      changed->emplace_back(std::nullopt, o);
    } else if (it->second.resource_version != o.resource_version) {
      changed->emplace_back(it->second, o);
    }
  }
  by_namespace_.clear();
  by_label_.clear();
  by_owner_.clear();
  json_bytes_ = 0;
  objects_ = std::move(next);
  for (const auto& [key, o] : objects_) IndexLocked(o, true);
}

std::optional<CachedObject> ObjectCache::Get(const std::string& key) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return it->second;
}

std::optional<Json> ObjectCache::GetJson(const std::string& key) const {
  auto o = Get(key);
  if (!o) return std::nullopt;
  auto doc = o->Decode();
  if (!doc.ok()) return std::nullopt;
  return *doc;
}

std::vector<CachedObject> ObjectCache::List() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<CachedObject> out;
  out.reserve(objects_.size());
  for (const auto& [key, o] : objects_) out.push_back(o);
  return out;
}

std::vector<CachedObject> ObjectCache::Collect(const std::map<std::string, std::set<std::string>>& index,
                                               const std::string& value) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<CachedObject> out;
  auto it = index.find(value);
  if (it == index.end()) return out;
  for (const auto& key : it->second) out.push_back(objects_.at(key));
  return out;
}

std::vector<CachedObject> ObjectCache::ByNamespace(const std::string& ns) const { return Collect(by_namespace_, ns); }
std::vector<CachedObject> ObjectCache::ByLabel(const std::string& key, const std::string& value) const {
  return Collect(by_label_, key + "=" + value);
}
std::vector<CachedObject> ObjectCache::ByOwner(const std::string& owner_uid) const {
  return Collect(by_owner_, owner_uid);
}

std::vector<CachedObject> ObjectCache::Select(const std::string& ns, const LabelSelector& selector) const {
  std::vector<CachedObject> candidates = ns.empty() ? List() : ByNamespace(ns);
  std::vector<CachedObject> out;
  for (auto& o : candidates) {
    if (selector.Matches(o.LabelMap())) out.push_back(std::move(o));
  }
  return out;
}

size_t ObjectCache::size() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return objects_.size();
}

size_t ObjectCache::json_bytes() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  return json_bytes_;
}

}  // namespace tusk::k8s
