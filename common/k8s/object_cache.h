// The informer's store: every object kept as its compact JSON text (decoded
// on demand) plus the few fields the indexes need, so the cache costs little
// more than the JSON itself (a DOM per object costs 5-10x). Indexed by
// namespace, by label and by owner UID; safe to read from many threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/status.h"
#include "common/k8s/labels.h"

namespace tusk::k8s {

struct OwnerRef {
  std::string uid, kind, name;
  bool controller = false;
};

// One cached object. `json` is shared so readers can hold it without copying.
struct CachedObject {
  std::shared_ptr<const std::string> json;
  std::string namespace_, name, uid, resource_version;
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<OwnerRef> owners;

  // "namespace/name", or "name" for cluster-scoped objects.
  std::string Key() const { return namespace_.empty() ? name : namespace_ + "/" + name; }
  StatusOr<nlohmann::json> Decode() const;
  std::map<std::string, std::string> LabelMap() const;
};

// Reads the indexed fields from an object's JSON text without building a DOM
// of the whole object (only metadata's labels and ownerReferences are parsed).
StatusOr<CachedObject> MakeCachedObject(std::string json_text);

class ObjectCache {
 public:
  // Inserts or replaces; returns the previous version, if any.
  std::optional<CachedObject> Upsert(CachedObject object);
  std::optional<CachedObject> Remove(const std::string& key);
  // Replaces the whole content (after a re-list); `removed` gets what vanished.
  void Replace(std::vector<CachedObject> objects, std::vector<CachedObject>* removed,
               std::vector<std::pair<std::optional<CachedObject>, CachedObject>>* changed);

  std::optional<CachedObject> Get(const std::string& key) const;
  std::optional<nlohmann::json> GetJson(const std::string& key) const;
  std::vector<CachedObject> List() const;
  std::vector<CachedObject> ByNamespace(const std::string& ns) const;
  std::vector<CachedObject> ByLabel(const std::string& key, const std::string& value) const;
  std::vector<CachedObject> ByOwner(const std::string& owner_uid) const;
  std::vector<CachedObject> Select(const std::string& ns, const LabelSelector& selector) const;
  size_t size() const;
  // Bytes of JSON text held (the denominator of the memory ratio).
  size_t json_bytes() const;

 private:
  void IndexLocked(const CachedObject& o, bool add);
  std::vector<CachedObject> Collect(const std::map<std::string, std::set<std::string>>& index,
                                    const std::string& value) const;

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, CachedObject> objects_;
  std::map<std::string, std::set<std::string>> by_namespace_;
  std::map<std::string, std::set<std::string>> by_label_;  // "key=value"
  std::map<std::string, std::set<std::string>> by_owner_;
  size_t json_bytes_ = 0;
};

}  // namespace tusk::k8s
