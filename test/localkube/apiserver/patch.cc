#include "test/localkube/apiserver/patch.h"

#include <algorithm>
#include <set>

namespace tusk::localkube {

json ApplyMergePatch(const json& target, const json& patch) {
  json out = target;
  out.merge_patch(patch);
  return out;
}

std::optional<json> ApplyJsonPatch(const json& target, const json& patch, std::string* error) {
  if (!patch.is_array()) {
    *error = "json: cannot unmarshal object into Go value of type jsonpatch.Patch";
    return std::nullopt;
  }
  try {
    return target.patch(patch);
  } catch (const std::exception& e) {
    *error = e.what();
    return std::nullopt;
  }
}

std::string MergeKeyFor(const std::string& field, const json& items) {
  if (field == "containers" || field == "initContainers" || field == "ephemeralContainers" || field == "env" ||
      field == "volumes" || field == "imagePullSecrets" || field == "schedulingGates" || field == "resourceClaims") {
    return "name";
  }
  if (field == "ports") {
    for (const auto& it : items) {
      if (it.is_object() && it.contains("containerPort")) return "containerPort";
    }
    return "port";
  }
  if (field == "volumeMounts") return "mountPath";
  if (field == "volumeDevices") return "devicePath";
  if (field == "hostAliases") return "ip";
  if (field == "topologySpreadConstraints") return "topologyKey";
  if (field == "conditions") return "type";
  if (field == "ownerReferences") return "uid";
  return "";
}

namespace {

bool IsPrimitiveMergeList(const std::string& field) { return field == "finalizers"; }

json StripDirectives(const json& v) {
  if (v.is_object()) {
    json out = json::object();
    for (auto& [k, x] : v.items()) {
      if (!k.empty() && k[0] == '$') continue;
      out[k] = StripDirectives(x);
    }
    return out;
  }
  if (v.is_array()) {
    json out = json::array();
    for (const auto& x : v) out.push_back(StripDirectives(x));
    return out;
  }
  return v;
}

std::optional<json> MergeMap(const json& orig, const json& patch, std::string* error);

std::optional<json> MergeList(const json& orig, const json& patch, const std::string& key, std::string* error) {
  json out = orig.is_array() ? orig : json::array();
  for (const auto& item : patch) {
    if (item.is_object() && item.value("$patch", "") == "replace") {
      json rest = json::array();
      for (const auto& x : patch) {
        if (!(x.is_object() && x.contains("$patch"))) rest.push_back(StripDirectives(x));
      }
      return rest;
    }
  }
  for (const auto& item : patch) {
    if (!item.is_object() || !item.contains(key)) {
      *error = "map: " + item.dump() + " does not contain declared merge key: " + key;
      return std::nullopt;
    }
    const json& kv = item[key];
    auto found = std::find_if(out.begin(), out.end(), [&](const json& x) { return x.is_object() && x.contains(key) && x[key] == kv; });
    if (item.value("$patch", "") == "delete") {
      if (found != out.end()) out.erase(found);
      continue;
    }
    if (found != out.end()) {
      auto merged = MergeMap(*found, item, error);
      if (!merged) return std::nullopt;
      *found = *merged;
    } else {
      out.push_back(StripDirectives(item));
    }
  }
  return out;
}

std::optional<json> MergeMap(const json& orig, const json& patch, std::string* error) {
  if (!patch.is_object()) return patch;
  std::string directive = patch.value("$patch", "");
  if (directive == "replace") return StripDirectives(patch);
  if (directive == "delete") return json(nullptr);
  json out = orig.is_object() ? orig : json::object();
  for (auto& [k, v] : patch.items()) {
    if (k.rfind("$deleteFromPrimitiveList/", 0) == 0) {
      std::string list = k.substr(25);
      if (out.contains(list) && out[list].is_array() && v.is_array()) {
        json kept = json::array();
        for (const auto& x : out[list]) {
          if (std::find(v.begin(), v.end(), x) == v.end()) kept.push_back(x);
        }
        out[list] = kept;
      }
      continue;
    }
    if (!k.empty() && k[0] == '$') continue;
    if (v.is_null()) {
      out.erase(k);
    } else if (v.is_object()) {
      auto merged = MergeMap(out.contains(k) ? out[k] : json(nullptr), v, error);
      if (!merged) return std::nullopt;
      if (merged->is_null()) {
        out.erase(k);
      } else {
        out[k] = *merged;
      }
    } else if (v.is_array()) {
      std::string key = MergeKeyFor(k, v.empty() && out.contains(k) ? out[k] : v);
      if (!key.empty()) {
        auto merged = MergeList(out.contains(k) ? out[k] : json::array(), v, key, error);
        if (!merged) return std::nullopt;
        out[k] = *merged;
      } else if (IsPrimitiveMergeList(k)) {
        json list = out.contains(k) && out[k].is_array() ? out[k] : json::array();
        for (const auto& x : v) {
          if (std::find(list.begin(), list.end(), x) == list.end()) list.push_back(x);
        }
        out[k] = list;
      } else {
        out[k] = StripDirectives(v);
      }
    } else {
      out[k] = v;
    }
  }
  if (auto rk = patch.find("$retainKeys"); rk != patch.end() && rk->is_array()) {
    json kept = json::object();
    for (auto& [k, v] : out.items()) {
      if (std::find(rk->begin(), rk->end(), json(k)) != rk->end()) kept[k] = v;
    }
    out = kept;
  }
  return out;
}

// ---- server-side apply ----

using Path = std::vector<std::string>;  // "f:spec", "k:{\"name\":\"c\"}"

void CollectPaths(const json& v, Path& prefix, std::set<Path>& out, const std::string& field) {
  if (v.is_object() && !v.empty()) {
    for (auto& [k, x] : v.items()) {
      prefix.push_back("f:" + k);
      CollectPaths(x, prefix, out, k);
      prefix.pop_back();
    }
    return;
  }
  if (v.is_array() && !v.empty()) {
    std::string key = MergeKeyFor(field, v);
    if (!key.empty()) {
      for (const auto& item : v) {
        if (!item.is_object() || !item.contains(key)) {
          out.insert(prefix);
          return;
        }
      }
      for (const auto& item : v) {
        prefix.push_back("k:" + json({{key, item[key]}}).dump());
        json rest = item;
        rest.erase(key);
        Path keyed = prefix;
        keyed.push_back("f:" + key);
        out.insert(keyed);
        if (!rest.empty()) CollectPaths(rest, prefix, out, "");
        prefix.pop_back();
      }
      return;
    }
  }
  out.insert(prefix);
}

std::set<Path> FieldPaths(const json& config) {
  std::set<Path> out;
  Path prefix;
  for (auto& [k, v] : config.items()) {
    if (k == "apiVersion" || k == "kind" || k == "status") continue;
    if (k == "metadata") {
      for (auto& [mk, mv] : v.items()) {
        if (mk != "labels" && mk != "annotations" && mk != "finalizers" && mk != "ownerReferences") continue;
        prefix = {"f:metadata", "f:" + mk};
        CollectPaths(mv, prefix, out, mk);
      }
      continue;
    }
    prefix = {"f:" + k};
    CollectPaths(v, prefix, out, k);
  }
  return out;
}

json TreeOf(const std::set<Path>& paths) {
  json tree = json::object();
  for (const auto& p : paths) {
    json* node = &tree;
    for (const auto& e : p) {
      if (!node->contains(e)) (*node)[e] = json::object();
      node = &(*node)[e];
      if (e.rfind("k:", 0) == 0 && !node->contains(".")) (*node)["."] = json::object();
    }
  }
  return tree;
}

void PathsOfTree(const json& tree, Path& prefix, std::set<Path>& out) {
  bool leaf = true;
  for (auto& [k, v] : tree.items()) {
    if (k == ".") continue;
    leaf = false;
    prefix.push_back(k);
    PathsOfTree(v, prefix, out);
    prefix.pop_back();
  }
  if (leaf && !prefix.empty()) out.insert(prefix);
}

std::set<Path> PathsOf(const json& tree) {
  std::set<Path> out;
  Path prefix;
  if (tree.is_object()) PathsOfTree(tree, prefix, out);
  return out;
}

// The node at `p` inside `obj`, or nullptr.
const json* At(const json& obj, const Path& p) {
  const json* node = &obj;
  for (const auto& e : p) {
    if (e.rfind("f:", 0) == 0) {
      if (!node->is_object()) return nullptr;
      auto it = node->find(e.substr(2));
      if (it == node->end()) return nullptr;
      node = &*it;
    } else if (e.rfind("k:", 0) == 0) {
      if (!node->is_array()) return nullptr;
      json key = json::parse(e.substr(2));
      const json* found = nullptr;
      for (const auto& item : *node) {
        bool all = item.is_object();
        for (auto& [kk, kv] : key.items()) all = all && item.contains(kk) && item[kk] == kv;
        if (all) {
          found = &item;
          break;
        }
      }
      if (!found) return nullptr;
      node = found;
    }
  }
  return node;
}

void Remove(json& obj, const Path& p) {
  if (p.empty()) return;
  json* node = &obj;
  for (size_t i = 0; i + 1 < p.size(); ++i) {
    const json* next = At(*node, {p[i]});
    if (!next) return;
    node = const_cast<json*>(next);
  }
  const std::string& last = p.back();
  if (last.rfind("f:", 0) == 0 && node->is_object()) {
    node->erase(last.substr(2));
  } else if (last.rfind("k:", 0) == 0 && node->is_array()) {
    const json* item = At(*node, {last});
    for (size_t i = 0; i < node->size(); ++i) {
      if (&(*node)[i] == item) {
        node->erase(i);
        break;
      }
    }
  }
}

json SsaMerge(const json& live, const json& config, const std::string& field) {
  if (config.is_object() && live.is_object()) {
    json out = live;
    for (auto& [k, v] : config.items()) out[k] = out.contains(k) ? SsaMerge(out[k], v, k) : v;
    return out;
  }
  if (config.is_array() && live.is_array()) {
    std::string key = MergeKeyFor(field, config);
    if (key.empty()) return config;
    json out = live;
    for (const auto& item : config) {
      if (!item.is_object() || !item.contains(key)) return config;
      auto it = std::find_if(out.begin(), out.end(), [&](const json& x) { return x.is_object() && x.contains(key) && x[key] == item[key]; });
      if (it == out.end()) {
        out.push_back(item);
      } else {
        *it = SsaMerge(*it, item, "");
      }
    }
    return out;
  }
  return config;
}

std::string PathText(const Path& p) {
  std::string s;
  for (const auto& e : p) {
    if (e.rfind("f:", 0) == 0) {
      s += "." + e.substr(2);
    } else {
      s += "[" + e.substr(2) + "]";
    }
  }
  return s;
}

}  // namespace

std::optional<json> ApplyStrategicMergePatch(const json& target, const json& patch, std::string* error) {
  if (!patch.is_object()) {
    *error = "unable to find api field in struct for the patch";
    return std::nullopt;
  }
  return MergeMap(target, patch, error);
}

json FieldsV1Of(const json& value) { return TreeOf(FieldPaths(value)); }

ApplyResult ServerSideApply(const json& live, const json& config, const std::string& manager, bool force,
                            const std::string& now) {
  ApplyResult r;
  json base = live.is_object() ? live : json::object();
  json managed = base.contains("/metadata/managedFields"_json_pointer) ? base["metadata"]["managedFields"] : json::array();
  std::set<Path> mine = FieldPaths(config);
  std::set<Path> previous;
  std::set<Path> others_all;
  for (auto& entry : managed) {
    if (!entry.is_object()) continue;
    std::set<Path> owned = PathsOf(entry.value("fieldsV1", json::object()));
    bool is_me = entry.value("manager", "") == manager && entry.value("operation", "") == "Apply";
    if (is_me) {
      previous = owned;
      continue;
    }
    if (entry.value("operation", "") != "Apply") continue;
    std::set<Path> kept;
    for (const auto& p : owned) {
      bool conflicting = false;
      if (mine.count(p)) {
        const json* a = At(base, p);
        const json* b = At(config, p);
        conflicting = a && b && *a != *b;
      }
      if (conflicting && !force) {
        r.conflicts.push_back("conflict with \"" + entry.value("manager", "") + "\": " + PathText(p));
      }
      if (!(conflicting && force)) kept.insert(p);
    }
    entry["fieldsV1"] = TreeOf(kept);
    others_all.insert(kept.begin(), kept.end());
  }
  if (!r.conflicts.empty()) return r;
  json merged = SsaMerge(base, config, "");
  for (const auto& p : previous) {
    if (!mine.count(p) && !others_all.count(p)) Remove(merged, p);
  }
  // Drop managers left owning nothing; record (or keep, when unchanged) ours.
  json new_managed = json::array();
  json mine_tree = TreeOf(mine);
  bool placed = false;
  for (auto& entry : managed) {
    if (!entry.is_object()) continue;
    bool is_me = entry.value("manager", "") == manager && entry.value("operation", "") == "Apply";
    if (is_me) {
      json e = entry;
      if (e.value("fieldsV1", json::object()) != mine_tree) e["time"] = now;
      e["fieldsV1"] = mine_tree;
      e["apiVersion"] = config.value("apiVersion", "");
      new_managed.push_back(e);
      placed = true;
    } else if (!entry.value("fieldsV1", json::object()).empty()) {
      new_managed.push_back(entry);
    }
  }
  if (!placed) {
    new_managed.push_back({{"manager", manager}, {"operation", "Apply"}, {"apiVersion", config.value("apiVersion", "")},
                           {"time", now}, {"fieldsType", "FieldsV1"}, {"fieldsV1", mine_tree}});
  }
  merged["metadata"]["managedFields"] = new_managed;
  r.object = merged;
  return r;
}

}  // namespace tusk::localkube
