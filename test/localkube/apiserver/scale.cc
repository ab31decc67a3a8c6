#include "test/localkube/apiserver/scale.h"

#include "test/localkube/apiserver/meta_util.h"

namespace tusk::localkube {
namespace {

// ".spec.instances" -> "/spec/instances": the simple JSONPaths a CRD's scale
// subresource may name.
json::json_pointer Pointer(const std::string& path) {
  std::string p = path;
  for (char& c : p) {
    if (c == '.') c = '/';
  }
  return json::json_pointer(p);
}

const json* At(const json& object, const std::string& path) {
  if (path.empty()) return nullptr;
  const json::json_pointer ptr = Pointer(path);
  return object.contains(ptr) ? &object[ptr] : nullptr;
}

int64_t ReplicasAt(const json& object, const std::string& path) {
  const json* v = At(object, path);
  return v && v->is_number_integer() ? v->get<int64_t>() : 0;
}

std::string SelectorOf(const json& object, const ScalePaths& paths) {
  if (paths.selector_from_spec) {
    std::string sel;
    const json labels = object.value("spec", json::object()).value("selector", json::object()).value("matchLabels", json::object());
    for (const auto& [k, v] : labels.items()) sel += (sel.empty() ? "" : ",") + k + "=" + v.get<std::string>();
    return sel;
  }
  const json* v = At(object, paths.label_selector);
  return v && v->is_string() ? v->get<std::string>() : "";
}

}  // namespace

ScalePaths ScalePathsOf(const ResourceInfo& r) {
  ScalePaths paths;
  if (!r.crd) {
    paths.selector_from_spec = true;
    return paths;
  }
  paths.spec_replicas = r.scale.value("specReplicasPath", "");
  paths.status_replicas = r.scale.value("statusReplicasPath", "");
  paths.label_selector = r.scale.value("labelSelectorPath", "");
  return paths;
}

json ScaleOf(const json& object, const ScalePaths& paths) {
  json status = {{"replicas", ReplicasAt(object, paths.status_replicas)}};
  if (std::string sel = SelectorOf(object, paths); !sel.empty()) status["selector"] = sel;
  return {{"kind", "Scale"},
          {"apiVersion", "autoscaling/v1"},
          {"metadata",
           {{"name", StrAt(object, "/metadata/name"_json_pointer)},
            {"namespace", StrAt(object, "/metadata/namespace"_json_pointer)},
            {"uid", StrAt(object, "/metadata/uid"_json_pointer)},
            {"resourceVersion", StrAt(object, "/metadata/resourceVersion"_json_pointer)},
            {"creationTimestamp", StrAt(object, "/metadata/creationTimestamp"_json_pointer)}}},
          {"spec", {{"replicas", ReplicasAt(object, paths.spec_replicas)}}},
          {"status", status}};
}

ApiOr<json> ApplyScale(json object, const json& scale, const ScalePaths& paths) {
  const std::string name = StrAt(object, "/metadata/name"_json_pointer);
  const json replicas = scale.value("spec", json::object()).value("replicas", json(0));
  if (!replicas.is_number_integer()) {
    return Invalid("autoscaling", "Scale", name,
                   {TypeInvalidField("spec.replicas", replicas, "spec.replicas in body must be of type integer")});
  }
  if (replicas.get<int64_t>() < 0) {
    return Invalid("autoscaling", "Scale", name,
                   {InvalidField("spec.replicas", replicas, "must be greater than or equal to 0")});
  }
  object[Pointer(paths.spec_replicas)] = replicas;
  // A resourceVersion in the Scale is a precondition on the object.
  const std::string rv = scale.value("metadata", json::object()).value("resourceVersion", "");
  if (!rv.empty()) object["metadata"]["resourceVersion"] = rv;
  return object;
}

}  // namespace tusk::localkube
