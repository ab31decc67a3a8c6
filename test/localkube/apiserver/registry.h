// The set of served resources: the built-in kinds localkube carries plus the
// ones CustomResourceDefinitions add. Answers "what is <group>/<version>/
// <resource>?" for routing, discovery, OpenAPI and the store's key space.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tusk::localkube {

using json = nlohmann::json;

struct ResourceInfo {
  std::string group;    // "" for core
  std::vector<std::string> versions;  // served versions; first is preferred
  std::string resource; // plural
  std::string singular;
  std::string kind;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  std::vector<std::string> verbs;          // sorted
  std::vector<std::string> subresources;   // "status", "log", "token", "scale", ...
  bool crd = false;
  bool stored = true;   // false for virtual kinds (reviews) that are never stored
  // CRDs: per-version schema (openAPIV3Schema) and printer columns.
  std::map<std::string, json> schemas;
  std::map<std::string, json> printer_columns;
  json scale = json::object();  // the storage version's subresources.scale

  std::string group_resource() const { return group.empty() ? resource : resource + "." + group; }
  std::string api_version(const std::string& version) const { return group.empty() ? version : group + "/" + version; }
  bool has_sub(const std::string& s) const;
  bool serves(const std::string& version) const;
};

using ResourcePtr = std::shared_ptr<const ResourceInfo>;

class Registry {
 public:
  Registry();

  // By group + resource plural (version-independent).
  ResourcePtr Lookup(const std::string& group, const std::string& resource) const;
  // By "resource" or "resource.group".
  ResourcePtr LookupGr(const std::string& group_resource) const;
  ResourcePtr LookupKind(const std::string& group, const std::string& kind) const;
  std::vector<ResourcePtr> All() const;

  // Installs or replaces the resource a CRD defines (CRD object JSON);
  // returns an error message when the CRD cannot be served.
  std::string InstallCrd(const json& crd);
  void RemoveCrd(const std::string& group, const std::string& plural);

  // Increases whenever the set of resources changes (discovery cache keys).
  uint64_t generation() const;

 private:
  void Add(ResourceInfo info);
  mutable std::mutex mu_;
  std::map<std::string, ResourcePtr> by_gr_;
  uint64_t generation_ = 1;
};

}  // namespace tusk::localkube
