#include "test/localkube/apiserver/kinds.h"

#include "test/localkube/apiserver/meta_util.h"

namespace tusk::localkube {

bool TracksGeneration(const ResourceInfo& r) {
  return r.crd || (r.has_sub("status") && r.group_resource() != "namespaces" && r.group_resource() != "nodes");
}

bool ReturnsDeletedObject(const ResourceInfo& r) {
  const std::string gr = r.group_resource();
  return r.crd || gr == "pods" || gr == "namespaces" || gr == "services" ||
         gr == "customresourcedefinitions.apiextensions.k8s.io";
}

namespace {

// kube-apiserver's DefaultTolerationSeconds admission: a pod tolerates a
// not-ready or unreachable node for 300 s unless it says otherwise.
void DefaultTolerationSeconds(json& spec) {
  if (!spec.is_object()) return;  // validation reports the missing spec
  json tolerations = spec.value("tolerations", json::array());
  if (!tolerations.is_array()) return;
  for (const char* key : {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}) {
    bool present = false;
    for (const auto& t : tolerations) {
      if (!t.is_object()) continue;
      std::string effect = t.value("effect", "");
      present |= t.value("key", "") == key && (effect.empty() || effect == "NoExecute");
    }
    if (!present) {
      tolerations.push_back({{"key", key}, {"operator", "Exists"}, {"effect", "NoExecute"}, {"tolerationSeconds", 300}});
    }
  }
  spec["tolerations"] = tolerations;
}

}  // namespace

void DefaultStorageClass(const ResourceInfo& r, json& obj, const Store& store) {
  if (r.group_resource() != "persistentvolumeclaims" || !obj.is_object() || !obj.contains("spec")) return;
  json& spec = obj["spec"];
  if (!spec.is_object() || spec.contains("storageClassName")) return;
  // The newest class marked default wins, as the admission plugin picks it.
  std::string chosen, chosen_created;
  for (const auto& sc : store.List("storageclasses.storage.k8s.io", "", nullptr).items) {
    const json& m = (*sc)["metadata"];
    if (m.value("annotations", json::object()).value("storageclass.kubernetes.io/is-default-class", "") != "true") continue;
    std::string created = m.value("creationTimestamp", "");
    if (chosen.empty() || created > chosen_created) {
      chosen = m.value("name", "");
      chosen_created = created;
    }
  }
  if (!chosen.empty()) spec["storageClassName"] = chosen;
}

void DefaultOnCreate(const ResourceInfo& r, json& obj, std::atomic<uint32_t>* next_ip) {
  const std::string gr = r.group_resource();
  if (gr == "namespaces") {
    obj["spec"]["finalizers"] = json::array({"kubernetes"});
    obj["status"] = {{"phase", "Active"}};
    obj["metadata"]["labels"]["kubernetes.io/metadata.name"] = obj["metadata"]["name"];
  } else if (gr == "pods") {
    obj["status"] = {{"phase", "Pending"}, {"qosClass", "BestEffort"}};
    DefaultTolerationSeconds(obj["spec"]);
  } else if (gr == "persistentvolumeclaims" || gr == "persistentvolumes") {
    obj["status"] = {{"phase", "Pending"}};
  } else if (gr == "services") {
    json& spec = obj["spec"];
    if (!spec.contains("type")) spec["type"] = "ClusterIP";
    if (!spec.contains("clusterIP") || spec["clusterIP"] == "") {
      uint32_t n = next_ip->fetch_add(1);
      std::string ip = "10.96." + std::to_string((n >> 8) & 0xff) + "." + std::to_string(n & 0xff);
      spec["clusterIP"] = ip;
      spec["clusterIPs"] = json::array({ip});
    } else if (spec["clusterIP"] == "None") {
      spec["clusterIPs"] = json::array({"None"});
    }
    if (!spec.contains("sessionAffinity")) spec["sessionAffinity"] = "None";
    obj["status"] = {{"loadBalancer", json::object()}};
  } else if (r.has_sub("status") && gr != "nodes" && gr != "customresourcedefinitions.apiextensions.k8s.io") {
    obj.erase("status");
  }
}

void DefaultOnWrite(const ResourceInfo& r, json& obj) {
  const std::string gr = r.group_resource();
  if (gr == "secrets") {
    if (!obj.contains("type")) obj["type"] = "Opaque";
    if (obj.contains("stringData") && obj["stringData"].is_object()) {
      for (auto& [k, v] : obj["stringData"].items()) {
        obj["data"][k] = Base64Encode(v.is_string() ? v.get<std::string>() : v.dump());
      }
      obj.erase("stringData");
    }
  } else if (gr == "pods") {
    json& spec = obj["spec"];
    if (!spec.contains("restartPolicy")) spec["restartPolicy"] = "Always";
    if (!spec.contains("terminationGracePeriodSeconds")) spec["terminationGracePeriodSeconds"] = 30;
    if (!spec.contains("dnsPolicy")) spec["dnsPolicy"] = "ClusterFirst";
    if (!spec.contains("schedulerName")) spec["schedulerName"] = "default-scheduler";
    if (!spec.contains("serviceAccountName")) spec["serviceAccountName"] = "default";
    if (spec.contains("containers") && spec["containers"].is_array()) {
      for (auto& c : spec["containers"]) {
        if (!c.is_object()) continue;
        if (!c.contains("imagePullPolicy")) c["imagePullPolicy"] = "IfNotPresent";
        if (!c.contains("terminationMessagePath")) c["terminationMessagePath"] = "/dev/termination-log";
        if (c.contains("ports") && c["ports"].is_array()) {
          for (auto& p : c["ports"]) {
            if (p.is_object() && !p.contains("protocol")) p["protocol"] = "TCP";
          }
        }
      }
    }
  } else if (gr == "services") {
    json& spec = obj["spec"];
    if (spec.contains("ports") && spec["ports"].is_array()) {
      for (auto& p : spec["ports"]) {
        if (!p.is_object()) continue;
        if (!p.contains("protocol")) p["protocol"] = "TCP";
        if (!p.contains("targetPort") && p.contains("port")) p["targetPort"] = p["port"];
      }
    }
  } else if (gr == "deployments.apps" || gr == "replicasets.apps" || gr == "statefulsets.apps") {
    if (!obj["spec"].contains("replicas")) obj["spec"]["replicas"] = 1;
    if (gr == "deployments.apps" && !obj["spec"].contains("strategy")) {
      obj["spec"]["strategy"] = {{"type", "RollingUpdate"},
                                 {"rollingUpdate", {{"maxUnavailable", "25%"}, {"maxSurge", "25%"}}}};
    }
    if (!obj["spec"].contains("revisionHistoryLimit")) obj["spec"]["revisionHistoryLimit"] = 10;
  }
}

namespace {

void RequireContainers(const json& spec, const std::string& path, std::vector<FieldError>& errs) {
  if (!spec.contains("containers") || !spec["containers"].is_array() || spec["containers"].empty()) {
    errs.push_back(RequiredField(path + ".containers"));
    return;
  }
  for (size_t i = 0; i < spec["containers"].size(); ++i) {
    const json& c = spec["containers"][i];
    std::string p = path + ".containers[" + std::to_string(i) + "]";
    if (!c.is_object() || c.value("name", "").empty()) errs.push_back(RequiredField(p + ".name"));
    if (!c.is_object() || c.value("image", "").empty()) errs.push_back(RequiredField(p + ".image"));
  }
}

}  // namespace

std::vector<FieldError> ValidateKind(const ResourceInfo& r, const json& obj) {
  std::vector<FieldError> errs;
  const std::string gr = r.group_resource();
  const json spec = obj.value("spec", json::object());
  if (gr == "pods") {
    RequireContainers(spec, "spec", errs);
  } else if (gr == "deployments.apps" || gr == "replicasets.apps" || gr == "statefulsets.apps" ||
             gr == "daemonsets.apps") {
    if (!spec.contains("selector")) errs.push_back(RequiredField("spec.selector"));
    if (spec.contains("replicas") && spec["replicas"].is_number() && spec["replicas"].get<int64_t>() < 0) {
      errs.push_back(InvalidField("spec.replicas", spec["replicas"], "must be greater than or equal to 0"));
    }
    RequireContainers(spec.value("template", json::object()).value("spec", json::object()), "spec.template.spec", errs);
  } else if (gr == "services") {
    for (size_t i = 0; spec.contains("ports") && i < spec["ports"].size(); ++i) {
      if (!spec["ports"][i].contains("port")) {
        errs.push_back(RequiredField("spec.ports[" + std::to_string(i) + "].port"));
      }
    }
  } else if (gr == "customresourcedefinitions.apiextensions.k8s.io") {
    std::string group = spec.value("group", "");
    std::string plural = spec.value("names", json::object()).value("plural", "");
    std::string name = obj["metadata"].value("name", "");
    if (group.empty()) errs.push_back(RequiredField("spec.group"));
    if (plural.empty()) errs.push_back(RequiredField("spec.names.plural"));
    if (spec.value("names", json::object()).value("kind", "").empty()) errs.push_back(RequiredField("spec.names.kind"));
    if (!plural.empty() && !group.empty() && name != plural + "." + group) {
      errs.push_back(InvalidField("metadata.name", name, "must be spec.names.plural+\".\"+spec.group"));
    }
    std::string scope = spec.value("scope", "");
    if (scope != "Namespaced" && scope != "Cluster") {
      errs.push_back(NotSupportedField("spec.scope", scope, {"\"Cluster\"", "\"Namespaced\""}));
    }
    int storage = 0;
    for (const auto& v : spec.value("versions", json::array())) storage += v.value("storage", false) ? 1 : 0;
    if (storage != 1) {
      errs.push_back({"FieldValueInvalid", "spec.versions",
                      "Invalid value: " + std::to_string(storage) + ": must have exactly one version marked as storage version"});
    }
  }
  return errs;
}

json CrdStatus(const json& crd) {
  json names = crd.value("spec", json::object()).value("names", json::object());
  std::string kind = names.value("kind", "");
  if (!names.contains("singular")) {
    std::string s = kind;
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    names["singular"] = s;
  }
  if (!names.contains("listKind")) names["listKind"] = kind + "List";
  json stored = json::array();
  for (const auto& v : crd.value("spec", json::object()).value("versions", json::array())) {
    if (v.value("storage", false)) stored.push_back(v.value("name", ""));
  }
  if (crd.contains("/status/storedVersions"_json_pointer)) {
    for (const auto& v : crd["status"]["storedVersions"]) {
      if (std::find(stored.begin(), stored.end(), v) == stored.end()) stored.push_back(v);
    }
  }
  std::string now = StrAt(crd, "/metadata/creationTimestamp"_json_pointer);
  return {{"acceptedNames", names},
          {"storedVersions", stored},
          {"conditions",
           json::array({{{"type", "NamesAccepted"}, {"status", "True"}, {"reason", "NoConflicts"},
                         {"message", "no conflicts found"}, {"lastTransitionTime", now}},
                        {{"type", "Established"}, {"status", "True"}, {"reason", "InitialNamesAccepted"},
                         {"message", "the initial names have been accepted"}, {"lastTransitionTime", now}}})}};
}

}  // namespace tusk::localkube
