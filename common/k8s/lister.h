// A typed, read-only view of an informer's ObjectCache: controllers ask for
// Clusters or Pods by namespace, label or owner and get decoded objects, not
// JSON text. Decoding happens on every read (the cache keeps only text), so a
// controller reads what it needs for one reconcile and does not hold it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/status.h"
#include "common/k8s/labels.h"
#include "common/k8s/object_cache.h"

namespace tusk::k8s {

template <typename T>
class Lister {
 public:
  // Turns one cached document into a T, e.g. api::ClusterFromJson.
  using Parse = std::function<StatusOr<T>(const nlohmann::json&)>;

  Lister(const ObjectCache& cache, Parse parse) : cache_(cache), parse_(std::move(parse)) {}

  // "namespace/name" (or "name" for cluster-scoped objects). NotFound when
  // the cache does not hold it; the parser's error when it does not decode.
  StatusOr<T> Get(const std::string& key) const {
    std::optional<CachedObject> o = cache_.Get(key);
    if (!o) return NotFoundError(key + " is not in the informer's cache");
    return Decode(*o);
  }
  StatusOr<T> Get(const std::string& ns, const std::string& name) const {
    return Get(ns.empty() ? name : ns + "/" + name);
  }

  // The list readers skip an object that does not decode, so one malformed
  // object does not hide the others from a controller; pass `errors` to hear
  // about the skipped ones (each error names its object).
  std::vector<T> List(std::vector<Status>* errors = nullptr) const { return DecodeAll(cache_.List(), errors); }
  std::vector<T> ByNamespace(const std::string& ns, std::vector<Status>* errors = nullptr) const {
    return DecodeAll(cache_.ByNamespace(ns), errors);
  }
  std::vector<T> ByLabel(const std::string& key, const std::string& value,
                         std::vector<Status>* errors = nullptr) const {
    return DecodeAll(cache_.ByLabel(key, value), errors);
  }
  std::vector<T> ByOwner(const std::string& owner_uid, std::vector<Status>* errors = nullptr) const {
    return DecodeAll(cache_.ByOwner(owner_uid), errors);
  }
  // Objects in `ns` (every namespace when empty) whose labels match.
  std::vector<T> Select(const std::string& ns, const LabelSelector& selector,
                        std::vector<Status>* errors = nullptr) const {
    return DecodeAll(cache_.Select(ns, selector), errors);
  }

 private:
  StatusOr<T> Decode(const CachedObject& o) const {
    StatusOr<nlohmann::json> doc = o.Decode();
    if (!doc.ok()) return doc.status();
    StatusOr<T> parsed = parse_(*doc);
    if (!parsed.ok()) return parsed.status().WithContext(o.Key());
    return parsed;
  }

  std::vector<T> DecodeAll(const std::vector<CachedObject>& objects, std::vector<Status>* errors) const {
    std::vector<T> out;
    out.reserve(objects.size());
    for (const CachedObject& o : objects) {
      StatusOr<T> parsed = Decode(o);
      if (parsed.ok()) {
        out.push_back(std::move(*parsed));
      } else if (errors != nullptr) {
        errors->push_back(parsed.status());
      }
    }
    return out;
  }

  const ObjectCache& cache_;
  Parse parse_;
};

}  // namespace tusk::k8s
