#include "test/localkube/apiserver/discovery.h"

#include <map>
#include <set>

namespace tusk::localkube {

json VersionInfo() {
  return {{"major", "1"}, {"minor", "32"}, {"gitVersion", "v1.32.0-localkube"},
          {"gitCommit", "0000000000000000000000000000000000000000"}, {"gitTreeState", "clean"},
          {"buildDate", "2025-01-01T00:00:00Z"}, {"goVersion", "go1.23.4"}, {"compiler", "gc"},
          {"platform", "linux/amd64"}};
}

json ApiVersions(const std::string& server_address) {
  return {{"kind", "APIVersions"}, {"versions", {"v1"}},
          {"serverAddressByClientCIDRs", json::array({{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}})}};
}

namespace {

json GroupEntry(const std::string& group, const std::vector<std::string>& versions) {
  json vs = json::array();
  for (const auto& v : versions) vs.push_back({{"groupVersion", group + "/" + v}, {"version", v}});
  return {{"name", group}, {"versions", vs}, {"preferredVersion", vs[0]}};
}

// group -> versions in preference order.
std::map<std::string, std::vector<std::string>> Groups(const Registry& reg) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& r : reg.All()) {
    if (r->group.empty()) continue;
    auto& vs = out[r->group];
    for (const auto& v : r->versions) {
      if (std::find(vs.begin(), vs.end(), v) == vs.end()) vs.push_back(v);
    }
  }
  return out;
}

std::vector<std::string> SubVerbs(const std::string& sub) {
  if (sub == "log") return {"get"};
  if (sub == "token" || sub == "binding" || sub == "eviction") return {"create"};
  if (sub == "finalize") return {"update"};
  return {"get", "patch", "update"};
}

std::string SubKind(const ResourceInfo& r, const std::string& sub) {
  if (sub == "scale") return "Scale";
  if (sub == "token") return "TokenRequest";
  if (sub == "binding") return "Binding";
  if (sub == "eviction") return "Eviction";
  if (sub == "log") return "Pod";
  return r.kind;
}

}  // namespace

json ApiGroupList(const Registry& reg) {
  json groups = json::array();
  for (const auto& [g, vs] : Groups(reg)) groups.push_back(GroupEntry(g, vs));
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

json ApiGroup(const Registry& reg, const std::string& group) {
  auto groups = Groups(reg);
  auto it = groups.find(group);
  if (it == groups.end()) return nullptr;
  json g = GroupEntry(group, it->second);
  g["kind"] = "APIGroup";
  g["apiVersion"] = "v1";
  return g;
}

json ApiResourceList(const Registry& reg, const std::string& group, const std::string& version) {
  json resources = json::array();
  bool any = false;
  for (const auto& r : reg.All()) {
    if (r->group != group || !r->serves(version)) continue;
    any = true;
    json e = {{"name", r->resource}, {"singularName", r->singular}, {"namespaced", r->namespaced},
              {"kind", r->kind}, {"verbs", r->verbs}};
    if (!r->short_names.empty()) e["shortNames"] = r->short_names;
    if (!r->categories.empty()) e["categories"] = r->categories;
    resources.push_back(e);
    for (const auto& sub : r->subresources) {
      json s = {{"name", r->resource + "/" + sub}, {"singularName", ""}, {"namespaced", r->namespaced},
                {"kind", SubKind(*r, sub)}, {"verbs", SubVerbs(sub)}};
      if (sub == "scale") {
        s["group"] = "autoscaling";
        s["version"] = "v1";
      }
      if (sub == "token") {
        s["group"] = "authentication.k8s.io";
        s["version"] = "v1";
      }
      resources.push_back(s);
    }
  }
  if (!any) return nullptr;
  return {{"kind", "APIResourceList"}, {"apiVersion", "v1"},
          {"groupVersion", group.empty() ? version : group + "/" + version}, {"resources", resources}};
}

json OpenApiV3Index(const Registry& reg) {
  json paths = json::object();
  std::set<std::string> gvs;
  for (const auto& r : reg.All()) {
    for (const auto& v : r->versions) gvs.insert(r->group.empty() ? "api/" + v : "apis/" + r->group + "/" + v);
  }
  std::string hash = std::to_string(reg.generation());
  for (const auto& gv : gvs) paths[gv] = {{"serverRelativeURL", "/openapi/v3/" + gv + "?hash=" + hash}};
  return {{"paths", paths}};
}

json OpenApiV3Document(const Registry& reg, const std::string& gv_path) {
  std::string group, version;
  if (gv_path.rfind("api/", 0) == 0) {
    version = gv_path.substr(4);
  } else if (gv_path.rfind("apis/", 0) == 0) {
    std::string rest = gv_path.substr(5);
    auto slash = rest.find('/');
    if (slash == std::string::npos) return nullptr;
    group = rest.substr(0, slash);
    version = rest.substr(slash + 1);
  } else {
    return nullptr;
  }
  json paths = json::object();
  json schemas = json::object();
  bool any = false;
  const json field_validation = {{"name", "fieldValidation"}, {"in", "query"}, {"schema", {{"type", "string"}}},
                                 {"description", "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields."}};
  for (const auto& r : reg.All()) {
    if (r->group != group || !r->serves(version) || !r->stored) continue;
    any = true;
    std::string base = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
    std::string coll = base + (r->namespaced ? "/namespaces/{namespace}/" : "/") + r->resource;
    json gvk = {{"group", group}, {"version", version}, {"kind", r->kind}};
    std::string schema_name = (group.empty() ? "io.k8s.api.core." : group + ".") + version + "." + r->kind;
    json content_types = json::object();
    content_types["application/json-patch+json"] = {{"schema", {{"type", "object"}}}};
    content_types["application/merge-patch+json"] = {{"schema", {{"type", "object"}}}};
    content_types["application/apply-patch+yaml"] = {{"schema", {{"type", "object"}}}};
    // Strategic merge patch is accepted for built-in kinds, but it is not
    // advertised here: these documents carry no field schemas, so kubectl
    // must compute its patches from its compiled-in types instead.
    json ref = {{"$ref", "#/components/schemas/" + schema_name}};
    json ok = {{"200", {{"description", "OK"}, {"content", {{"application/json", {{"schema", ref}}}}}}}};
    json op = {{"x-kubernetes-group-version-kind", gvk}, {"parameters", json::array({field_validation})},
               {"responses", ok}};
    json patch_op = op;
    patch_op["requestBody"] = {{"content", content_types}};
    json write_op = op;
    write_op["requestBody"] = {{"content", {{"application/json", {{"schema", ref}}}}}};
    paths[coll] = {{"post", write_op}, {"get", op}};
    paths[coll + "/{name}"] = {{"get", op}, {"put", write_op}, {"patch", patch_op}, {"delete", op}};
    json schema;
    auto s = r->schemas.find(version);
    if (s != r->schemas.end()) {
      schema = s->second;
    } else {
      schema = {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
    }
    schema["x-kubernetes-group-version-kind"] = json::array({gvk});
    schemas[schema_name] = schema;
  }
  if (!any) return nullptr;
  return {{"openapi", "3.0.0"}, {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}}, {"paths", paths},
          {"components", {{"schemas", schemas}}}};
}

}  // namespace tusk::localkube
