#include "test/localkube/apiserver/selectors.h"

#include <algorithm>

namespace tusk::localkube {

std::optional<FieldSelector> FieldSelector::Parse(const std::string& text, std::string* error) {
  auto reqs = k8s::ParseRequirements(text, false);
  if (!reqs.ok()) {
    *error = std::string(reqs.status().message());
    return std::nullopt;
  }
  FieldSelector s;
  s.reqs_ = std::move(*reqs);
  return s;
}

std::string FieldSelector::Unsupported(const std::vector<std::string>& supported) const {
  for (const auto& r : reqs_) {
    if (std::find(supported.begin(), supported.end(), r.key) == supported.end()) return r.key;
  }
  return "";
}

bool FieldSelector::Matches(const std::map<std::string, std::string>& fields) const {
  for (const auto& r : reqs_) {
    auto it = fields.find(r.key);
    std::optional<std::string> v = it == fields.end() ? std::optional<std::string>("") : it->second;
    if (!k8s::RequirementMatches(r, v)) return false;
  }
  return true;
}

std::optional<std::string> FieldSelector::RequiredValue(const std::string& key) const {
  for (const auto& r : reqs_) {
    if (r.key == key && r.op == Requirement::Op::kEquals) return r.values[0];
  }
  return std::nullopt;
}

std::vector<std::string> SupportedFields(const std::string& gr, bool namespaced) {
  std::vector<std::string> f = {"metadata.name"};
  if (namespaced) f.push_back("metadata.namespace");
  if (gr == "pods") {
    for (auto x : {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
                   "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"}) {
      f.push_back(x);
    }
  } else if (gr == "events" || gr == "events.events.k8s.io") {
    for (auto x : {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                   "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
                   "reason", "reportingComponent", "source", "type"}) {
      f.push_back(x);
    }
  } else if (gr == "secrets") {
    f.push_back("type");
  } else if (gr == "nodes") {
    f.push_back("spec.unschedulable");
  } else if (gr == "namespaces") {
    f.push_back("status.phase");
  } else if (gr == "replicasets.apps" || gr == "replicationcontrollers") {
    f.push_back("status.replicas");
  } else if (gr == "jobs.batch") {
    f.push_back("status.successful");
  }
  return f;
}

namespace {
std::string Scalar(const json& obj, const char* ptr) {
  json::json_pointer p(ptr);
  if (!obj.contains(p)) return "";
  const json& v = obj.at(p);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}
}  // namespace

std::map<std::string, std::string> FieldValues(const std::string& gr, const json& obj) {
  std::map<std::string, std::string> m;
  m["metadata.name"] = Scalar(obj, "/metadata/name");
  m["metadata.namespace"] = Scalar(obj, "/metadata/namespace");
  if (gr == "pods") {
    m["spec.nodeName"] = Scalar(obj, "/spec/nodeName");
    m["spec.restartPolicy"] = Scalar(obj, "/spec/restartPolicy");
    m["spec.schedulerName"] = Scalar(obj, "/spec/schedulerName");
    m["spec.serviceAccountName"] = Scalar(obj, "/spec/serviceAccountName");
    std::string hn = Scalar(obj, "/spec/hostNetwork");
    m["spec.hostNetwork"] = hn.empty() ? "false" : hn;
    m["status.phase"] = Scalar(obj, "/status/phase");
    m["status.podIP"] = Scalar(obj, "/status/podIP");
    m["status.nominatedNodeName"] = Scalar(obj, "/status/nominatedNodeName");
  } else if (gr == "events" || gr == "events.events.k8s.io") {
    const char* base = gr == "events" ? "/involvedObject/" : "/regarding/";
    for (auto k : {"kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"}) {
      m[std::string("involvedObject.") + k] = Scalar(obj, (std::string(base) + k).c_str());
    }
    m["reason"] = Scalar(obj, "/reason");
    m["reportingComponent"] = Scalar(obj, gr == "events" ? "/reportingComponent" : "/reportingController");
    m["source"] = Scalar(obj, "/source/component");
    m["type"] = Scalar(obj, "/type");
  } else if (gr == "secrets") {
    m["type"] = Scalar(obj, "/type");
  } else if (gr == "nodes") {
    std::string u = Scalar(obj, "/spec/unschedulable");
    m["spec.unschedulable"] = u.empty() ? "false" : u;
  } else if (gr == "namespaces") {
    m["status.phase"] = Scalar(obj, "/status/phase");
  } else if (gr == "replicasets.apps") {
    m["status.replicas"] = Scalar(obj, "/status/replicas");
  } else if (gr == "jobs.batch") {
    m["status.successful"] = Scalar(obj, "/status/succeeded");
  }
  return m;
}

}  // namespace tusk::localkube
