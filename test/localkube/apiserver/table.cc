#include "test/localkube/apiserver/table.h"

#include <cmath>

#include "test/localkube/apiserver/meta_util.h"

namespace tusk::localkube {

std::string HumanDuration(std::chrono::seconds d) {
  long long s = d.count();
  auto str = [](long long v) { return std::to_string(v); };
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 120) return str(s) + "s";
  long long m = s / 60;
  if (m < 10) {
    long long rs = s % 60;
    return rs == 0 ? str(m) + "m" : str(m) + "m" + str(rs) + "s";
  }
  if (m < 180) return str(m) + "m";
  long long h = s / 3600;
  if (h < 8) {
    long long rm = (s / 60) % 60;
    return rm == 0 ? str(h) + "h" : str(h) + "h" + str(rm) + "m";
  }
  if (h < 48) return str(h) + "h";
  if (h < 24 * 8) {
    long long rh = h % 24;
    return rh == 0 ? str(h / 24) + "d" : str(h / 24) + "d" + str(rh) + "h";
  }
  if (h < 24 * 365 * 2) return str(h / 24) + "d";
  long long y = h / (24 * 365);
  if (y < 8) {
    long long rd = (h / 24) % 365;
    return rd == 0 ? str(y) + "y" : str(y) + "y" + str(rd) + "d";
  }
  return str(y) + "y";
}

std::string AgeOf(const std::string& ts, std::chrono::system_clock::time_point now) {
  if (ts.empty()) return "<unknown>";
  auto t = ParseRfc3339(ts);
  if (!t) return "<invalid>";
  return HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *t));
}

json EvalJsonPath(const json& obj, const std::string& raw) {
  std::string path = raw;
  if (!path.empty() && path.front() == '{' && path.back() == '}') path = path.substr(1, path.size() - 2);
  std::vector<json> cur = {obj};
  size_t i = 0;
  if (!path.empty() && path[0] == '$') i = 1;
  while (i < path.size()) {
    std::vector<json> next;
    if (path[i] == '.') {
      size_t j = i + 1;
      while (j < path.size() && path[j] != '.' && path[j] != '[') ++j;
      std::string key = path.substr(i + 1, j - i - 1);
      for (const auto& c : cur) {
        if (key.empty()) {
          next.push_back(c);
        } else if (c.is_object() && c.contains(key)) {
          next.push_back(c[key]);
        }
      }
      i = j;
    } else if (path[i] == '[') {
      size_t j = path.find(']', i);
      if (j == std::string::npos) return nullptr;
      std::string inner = path.substr(i + 1, j - i - 1);
      if (inner.rfind("?(@.", 0) == 0) {
        // [?(@.key=="value")]
        size_t close = path.find(")]", i);
        inner = path.substr(i + 5, close - i - 5);
        j = close + 1;
        size_t eq = inner.find("==");
        std::string key = inner.substr(0, eq);
        std::string val = eq == std::string::npos ? "" : inner.substr(eq + 2);
        if (val.size() >= 2 && (val[0] == '"' || val[0] == '\'')) val = val.substr(1, val.size() - 2);
        for (const auto& c : cur) {
          if (!c.is_array()) continue;
          for (const auto& item : c) {
            if (item.is_object() && item.contains(key)) {
              const json& iv = item[key];
              std::string s = iv.is_string() ? iv.get<std::string>() : iv.dump();
              if (eq == std::string::npos || s == val) next.push_back(item);
            }
          }
        }
      } else if (inner == "*") {
        for (const auto& c : cur) {
          if (c.is_array()) {
            for (const auto& item : c) next.push_back(item);
          }
        }
      } else {
        long idx = std::strtol(inner.c_str(), nullptr, 10);
        for (const auto& c : cur) {
          if (!c.is_array()) continue;
          long n = static_cast<long>(c.size());
          long k = idx < 0 ? n + idx : idx;
          if (k >= 0 && k < n) next.push_back(c[k]);
        }
      }
      i = j + 1;
    } else {
      ++i;
      continue;
    }
    cur = std::move(next);
  }
  if (cur.empty()) return nullptr;
  if (cur.size() == 1) return cur[0];
  return json(cur);
}

std::string PodStatusColumn(const json& pod) {
  const json& status = pod.value("status", json::object());
  std::string reason = status.value("phase", "");
  if (status.contains("reason") && status["reason"].is_string()) reason = status["reason"];
  bool initializing = false;
  const json init_statuses = status.value("initContainerStatuses", json::array());
  size_t init_total = pod.contains("/spec/initContainers"_json_pointer) ? pod["spec"]["initContainers"].size() : 0;
  for (size_t i = 0; i < init_statuses.size(); ++i) {
    const json& cs = init_statuses[i];
    const json state = cs.value("state", json::object());
    if (state.contains("terminated") && state["terminated"].value("exitCode", 0) == 0) continue;
    if (state.contains("terminated")) {
      const json& t = state["terminated"];
      if (t.value("reason", "").empty()) {
        reason = t.value("signal", 0) ? "Init:Signal:" + std::to_string(t.value("signal", 0))
                                      : "Init:ExitCode:" + std::to_string(t.value("exitCode", 0));
      } else {
        reason = "Init:" + t.value("reason", "");
      }
    } else if (state.contains("waiting") && !state["waiting"].value("reason", "").empty() &&
               state["waiting"].value("reason", "") != "PodInitializing") {
      reason = "Init:" + state["waiting"].value("reason", "");
    } else {
      reason = "Init:" + std::to_string(i) + "/" + std::to_string(init_total);
    }
    initializing = true;
    break;
  }
  if (!initializing) {
    bool has_running = false;
    const json statuses = status.value("containerStatuses", json::array());
    for (size_t n = statuses.size(); n > 0; --n) {
      const json& cs = statuses[n - 1];
      const json state = cs.value("state", json::object());
      if (state.contains("waiting") && !state["waiting"].value("reason", "").empty()) {
        reason = state["waiting"].value("reason", "");
      } else if (state.contains("terminated") && !state["terminated"].value("reason", "").empty()) {
        reason = state["terminated"].value("reason", "");
      } else if (state.contains("terminated")) {
        const json& t = state["terminated"];
        reason = t.value("signal", 0) ? "Signal:" + std::to_string(t.value("signal", 0))
                                      : "ExitCode:" + std::to_string(t.value("exitCode", 0));
      } else if (state.contains("running") && cs.value("ready", false)) {
        has_running = true;
      }
    }
    if (reason == "Completed" && has_running) {
      bool ready = false;
      for (const auto& c : status.value("conditions", json::array())) {
        if (c.value("type", "") == "Ready" && c.value("status", "") == "True") ready = true;
      }
      reason = ready ? "Running" : "NotReady";
    }
  }
  std::string phase = status.value("phase", "");
  if (pod.contains("/metadata/deletionTimestamp"_json_pointer) && phase != "Succeeded" && phase != "Failed") {
    reason = status.value("reason", "") == "NodeLost" ? "Unknown" : "Terminating";
  }
  return reason;
}

namespace {

json Col(const std::string& name, const std::string& type, int priority = 0, const std::string& format = "",
         const std::string& description = "") {
  return {{"name", name}, {"type", type}, {"format", format}, {"description", description}, {"priority", priority}};
}

std::string OrNone(const std::string& s) { return s.empty() ? "<none>" : s; }

// kubectl's way of listing many: the first three, then "+ N more...".
std::string ShortList(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < 3; ++i) out += (i ? "," : "") + items[i];
  if (items.size() > 3) out += " + " + std::to_string(items.size() - 3) + " more...";
  return out;
}

std::string AccessModes(const json& modes) {
  std::string out;
  for (const auto& m : modes) {
    std::string s = m.get<std::string>();
    std::string abbrev = s == "ReadWriteOnce" ? "RWO" : s == "ReadOnlyMany" ? "ROX" : s == "ReadWriteMany" ? "RWX" : "RWOP";
    out += (out.empty() ? "" : ",") + abbrev;
  }
  return out;
}

// The human duration from one RFC 3339 time to another (a Job's run).
std::string Between(const std::string& from, const std::string& to) {
  auto a = ParseRfc3339(from);
  auto b = ParseRfc3339(to);
  if (!a || !b) return "<invalid>";
  return HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(*b - *a));
}

struct Printer {
  json columns;
  std::function<json(const json&)> cells;
};

Printer PrinterFor(const ResourceInfo& r, const std::string& version, std::chrono::system_clock::time_point now) {
  auto age = [now](const json& o) { return AgeOf(StrAt(o, "/metadata/creationTimestamp"_json_pointer), now); };
  auto name = [](const json& o) { return StrAt(o, "/metadata/name"_json_pointer); };
  const std::string gr = r.group_resource();
  if (r.crd) {
    auto pc = r.printer_columns.find(version);
    if (pc == r.printer_columns.end() || !pc->second.is_array() || pc->second.empty()) {
      return {json::array({Col("Name", "string", 0, "name"), Col("Age", "date")}),
              [=](const json& o) { return json::array({name(o), age(o)}); }};
    }
    json cols = json::array({Col("Name", "string", 0, "name", "Name must be unique within a namespace.")});
    json defs = pc->second;
    for (const auto& c : defs) {
      std::string desc = c.value("description", "");
      if (desc.empty()) desc = "Custom resource definition column (in JSONPath format): " + c.value("jsonPath", "");
      cols.push_back(Col(c.value("name", ""), c.value("type", "string"), c.value("priority", 0), c.value("format", ""), desc));
    }
    return {cols, [=](const json& o) {
              json cells = json::array({name(o)});
              for (const auto& c : defs) {
                json v = EvalJsonPath(o, c.value("jsonPath", ""));
                std::string type = c.value("type", "string");
                if (v.is_null()) {
                  cells.push_back(nullptr);
                } else if (type == "date") {
                  cells.push_back(v.is_string() ? AgeOf(v.get<std::string>(), now) : "<invalid>");
                } else if (type == "integer") {
                  cells.push_back(v.is_number() ? json(v.get<int64_t>()) : json(nullptr));
                } else if (type == "number") {
                  cells.push_back(v.is_number() ? v : json(nullptr));
                } else if (type == "boolean") {
                  cells.push_back(v.is_boolean() ? v : json(nullptr));
                } else {
                  cells.push_back(v.is_string() ? v.get<std::string>() : v.dump());
                }
              }
              return cells;
            }};
  }
  if (gr == "pods") {
    return {json::array({Col("Name", "string", 0, "name"), Col("Ready", "string"), Col("Status", "string"),
                         Col("Restarts", "string"), Col("Age", "string"), Col("IP", "string", 1),
                         Col("Node", "string", 1), Col("Nominated Node", "string", 1),
                         Col("Readiness Gates", "string", 1)}),
            [=](const json& o) {
              const json statuses = o.value("status", json::object()).value("containerStatuses", json::array());
              size_t total = o.contains("/spec/containers"_json_pointer) ? o["spec"]["containers"].size() : 0;
              int ready = 0, restarts = 0;
              for (const auto& cs : statuses) {
                if (cs.value("ready", false)) ++ready;
                restarts += cs.value("restartCount", 0);
              }
              std::string ip;
              if (o.contains("/status/podIPs/0/ip"_json_pointer)) ip = o["status"]["podIPs"][0]["ip"];
              else ip = StrAt(o, "/status/podIP"_json_pointer);
              return json::array({name(o), std::to_string(ready) + "/" + std::to_string(total), PodStatusColumn(o),
                                  std::to_string(restarts), age(o), OrNone(ip),
                                  OrNone(StrAt(o, "/spec/nodeName"_json_pointer)),
                                  OrNone(StrAt(o, "/status/nominatedNodeName"_json_pointer)), "<none>"});
            }};
  }
  if (gr == "namespaces") {
    return {json::array({Col("Name", "string", 0, "name"), Col("Status", "string"), Col("Age", "string")}),
            [=](const json& o) { return json::array({name(o), StrAt(o, "/status/phase"_json_pointer), age(o)}); }};
  }
  if (gr == "deployments.apps") {
    return {json::array({Col("Name", "string", 0, "name"), Col("Ready", "string"), Col("Up-to-date", "integer"),
                         Col("Available", "integer"), Col("Age", "string")}),
            [=](const json& o) {
              const json st = o.value("status", json::object());
              int desired = o.value("spec", json::object()).value("replicas", 1);
              return json::array({name(o),
                                  std::to_string(st.value("readyReplicas", 0)) + "/" + std::to_string(desired),
                                  st.value("updatedReplicas", 0), st.value("availableReplicas", 0), age(o)});
            }};
  }
  if (gr == "configmaps") {
    return {json::array({Col("Name", "string", 0, "name"), Col("Data", "integer"), Col("Age", "string")}),
            [=](const json& o) {
              size_t n = o.value("data", json::object()).size() + o.value("binaryData", json::object()).size();
              return json::array({name(o), n, age(o)});
            }};
  }
  if (gr == "secrets") {
    return {json::array({Col("Name", "string", 0, "name"), Col("Type", "string"), Col("Data", "integer"),
                         Col("Age", "string")}),
            [=](const json& o) {
              size_t n = o.value("data", json::object()).size() + o.value("stringData", json::object()).size();
              return json::array({name(o), o.value("type", "Opaque"), n, age(o)});
            }};
  }
  if (gr == "serviceaccounts") {
    return {json::array({Col("Name", "string", 0, "name"), Col("Secrets", "integer"), Col("Age", "string")}),
            [=](const json& o) { return json::array({name(o), o.value("secrets", json::array()).size(), age(o)}); }};
  }
  if (gr == "services") {
    return {json::array({Col("Name", "string", 0, "name"), Col("Type", "string"), Col("Cluster-IP", "string"),
                         Col("External-IP", "string"), Col("Port(s)", "string"), Col("Age", "string")}),
            [=](const json& o) {
              const json spec = o.value("spec", json::object());
              std::string ports;
              for (const auto& p : spec.value("ports", json::array())) {
                if (!ports.empty()) ports += ",";
                ports += std::to_string(p.value("port", 0)) + "/" + p.value("protocol", "TCP");
              }
              return json::array({name(o), spec.value("type", "ClusterIP"), OrNone(spec.value("clusterIP", "")),
                                  "<none>", OrNone(ports), age(o)});
            }};
  }
  if (gr == "nodes") {
    return {json::array({Col("Name", "string", 0, "name"), Col("Status", "string"), Col("Roles", "string"),
                         Col("Age", "string"), Col("Version", "string"), Col("Internal-IP", "string", 1),
                         Col("External-IP", "string", 1), Col("OS-Image", "string", 1),
                         Col("Kernel-Version", "string", 1), Col("Container-Runtime", "string", 1)}),
            [=](const json& o) {
              std::string ready = "Unknown";
              for (const auto& c : o.value("status", json::object()).value("conditions", json::array())) {
                if (c.value("type", "") == "Ready") ready = c.value("status", "") == "True" ? "Ready" : "NotReady";
              }
              if (o.value("spec", json::object()).value("unschedulable", false)) ready += ",SchedulingDisabled";
              std::string internal, external;
              for (const auto& a : o.value("status", json::object()).value("addresses", json::array())) {
                if (a.value("type", "") == "InternalIP" && internal.empty()) internal = a.value("address", "");
                if (a.value("type", "") == "ExternalIP" && external.empty()) external = a.value("address", "");
              }
              return json::array({name(o), ready, "<none>", age(o),
                                  StrAt(o, "/status/nodeInfo/kubeletVersion"_json_pointer), OrNone(internal),
                                  OrNone(external), OrNone(StrAt(o, "/status/nodeInfo/osImage"_json_pointer)),
                                  OrNone(StrAt(o, "/status/nodeInfo/kernelVersion"_json_pointer)),
                                  OrNone(StrAt(o, "/status/nodeInfo/containerRuntimeVersion"_json_pointer))});
            }};
  }
  if (gr == "endpoints") {
    return {json::array({Col("Name", "string", 0, "name"), Col("Endpoints", "string"), Col("Age", "string")}),
            [=](const json& o) {
              std::vector<std::string> eps;
              for (const auto& subset : o.value("subsets", json::array())) {
                for (const auto& a : subset.value("addresses", json::array())) {
                  const json ports = subset.value("ports", json::array());
                  if (ports.empty()) eps.push_back(a.value("ip", ""));
                  for (const auto& p : ports) eps.push_back(a.value("ip", "") + ":" + std::to_string(p.value("port", 0)));
                }
              }
              return json::array({name(o), OrNone(ShortList(eps)), age(o)});
            }};
  }
  if (gr == "endpointslices.discovery.k8s.io") {
    return {json::array({Col("Name", "string", 0, "name"), Col("AddressType", "string"), Col("Ports", "string"),
                         Col("Endpoints", "string"), Col("Age", "string")}),
            [=](const json& o) {
              std::vector<std::string> ports, addrs;
              for (const auto& p : o.value("ports", json::array())) ports.push_back(std::to_string(p.value("port", 0)));
              for (const auto& e : o.value("endpoints", json::array())) {
                for (const auto& a : e.value("addresses", json::array())) addrs.push_back(a.get<std::string>());
              }
              return json::array({name(o), o.value("addressType", ""), OrNone(ShortList(ports)),
                                  OrNone(ShortList(addrs)), age(o)});
            }};
  }
  if (gr == "replicasets.apps") {
    return {json::array({Col("Name", "string", 0, "name"), Col("Desired", "integer"), Col("Current", "integer"),
                         Col("Ready", "integer"), Col("Age", "string")}),
            [=](const json& o) {
              const json st = o.value("status", json::object());
              return json::array({name(o), o.value("spec", json::object()).value("replicas", 1),
                                  st.value("replicas", 0), st.value("readyReplicas", 0), age(o)});
            }};
  }
  if (gr == "jobs.batch") {
    return {json::array({Col("Name", "string", 0, "name"), Col("Status", "string"), Col("Completions", "string"),
                         Col("Duration", "string"), Col("Age", "string")}),
            [=](const json& o) {
              const json st = o.value("status", json::object());
              std::string status = "Running";
              for (const auto& c : st.value("conditions", json::array())) {
                if (c.value("status", "") != "True") continue;
                if (c.value("type", "") == "Complete") status = "Complete";
                if (c.value("type", "") == "Failed") status = "Failed";
              }
              int completions = o.value("spec", json::object()).value("completions", 1);
              std::string start = StrAt(o, "/status/startTime"_json_pointer);
              std::string end = StrAt(o, "/status/completionTime"_json_pointer);
              std::string duration = start.empty() ? "" : end.empty() ? AgeOf(start, now) : Between(start, end);
              return json::array({name(o), status,
                                  std::to_string(st.value("succeeded", 0)) + "/" + std::to_string(completions),
                                  duration, age(o)});
            }};
  }
  if (gr == "persistentvolumes") {
    return {json::array({Col("Name", "string", 0, "name"), Col("Capacity", "string"), Col("Access Modes", "string"),
                         Col("Reclaim Policy", "string"), Col("Status", "string"), Col("Claim", "string"),
                         Col("StorageClass", "string"), Col("Reason", "string"), Col("Age", "string")}),
            [=](const json& o) {
              const json spec = o.value("spec", json::object());
              std::string claim;
              if (spec.contains("claimRef")) {
                claim = spec["claimRef"].value("namespace", "") + "/" + spec["claimRef"].value("name", "");
              }
              return json::array({name(o), StrAt(o, "/spec/capacity/storage"_json_pointer),
                                  AccessModes(spec.value("accessModes", json::array())),
                                  spec.value("persistentVolumeReclaimPolicy", "Retain"),
                                  StrAt(o, "/status/phase"_json_pointer), claim,
                                  spec.value("storageClassName", ""), StrAt(o, "/status/reason"_json_pointer), age(o)});
            }};
  }
  if (gr == "storageclasses.storage.k8s.io") {
    return {json::array({Col("Name", "string", 0, "name"), Col("Provisioner", "string"),
                         Col("ReclaimPolicy", "string"), Col("VolumeBindingMode", "string"),
                         Col("AllowVolumeExpansion", "string"), Col("Age", "string")}),
            [=](const json& o) {
              std::string n = name(o);
              if (StrAt(o, "/metadata/annotations/storageclass.kubernetes.io~1is-default-class"_json_pointer) == "true") {
                n += " (default)";
              }
              return json::array({n, o.value("provisioner", ""), o.value("reclaimPolicy", "Delete"),
                                  o.value("volumeBindingMode", "Immediate"),
                                  o.value("allowVolumeExpansion", false) ? "true" : "false", age(o)});
            }};
  }
  if (gr == "leases.coordination.k8s.io") {
    return {json::array({Col("Name", "string", 0, "name"), Col("Holder", "string"), Col("Age", "string")}),
            [=](const json& o) {
              return json::array({name(o), StrAt(o, "/spec/holderIdentity"_json_pointer), age(o)});
            }};
  }
  if (gr == "persistentvolumeclaims") {
    return {json::array({Col("Name", "string", 0, "name"), Col("Status", "string"), Col("Volume", "string"),
                         Col("Capacity", "string"), Col("Access Modes", "string"), Col("StorageClass", "string"),
                         Col("Age", "string")}),
            [=](const json& o) {
              std::string modes = AccessModes(o.value("spec", json::object()).value("accessModes", json::array()));
              return json::array({name(o), StrAt(o, "/status/phase"_json_pointer),
                                  StrAt(o, "/spec/volumeName"_json_pointer),
                                  StrAt(o, "/status/capacity/storage"_json_pointer), modes,
                                  StrAt(o, "/spec/storageClassName"_json_pointer), age(o)});
            }};
  }
  if (gr == "events") {
    return {json::array({Col("Last Seen", "string"), Col("Type", "string"), Col("Reason", "string"),
                         Col("Object", "string"), Col("Message", "string")}),
            [=](const json& o) {
              std::string last = StrAt(o, "/lastTimestamp"_json_pointer);
              if (last.empty()) last = StrAt(o, "/eventTime"_json_pointer);
              std::string obj = StrAt(o, "/involvedObject/kind"_json_pointer);
              std::transform(obj.begin(), obj.end(), obj.begin(), ::tolower);
              obj += "/" + StrAt(o, "/involvedObject/name"_json_pointer);
              return json::array({AgeOf(last, now), o.value("type", ""), o.value("reason", ""), obj,
                                  o.value("message", "")});
            }};
  }
  return {json::array({Col("Name", "string", 0, "name", "Name must be unique within a namespace."),
                       Col("Created At", "date", 0, "", "CreationTimestamp is a timestamp representing the server time when this object was created.")}),
          [=](const json& o) {
            return json::array({name(o), StrAt(o, "/metadata/creationTimestamp"_json_pointer)});
          }};
}

}  // namespace

json BuildTable(const ResourceInfo& r, const std::string& version, const std::vector<json>& objects,
                const std::string& include, std::chrono::system_clock::time_point now) {
  Printer p = PrinterFor(r, version, now);
  json rows = json::array();
  for (const auto& o : objects) {
    json row = {{"cells", p.cells(o)}};
    if (include == "Object") {
      row["object"] = o;
    } else if (include != "None") {
      row["object"] = {{"kind", "PartialObjectMetadata"}, {"apiVersion", "meta.k8s.io/v1"},
                       {"metadata", o.value("metadata", json::object())}};
    }
    if (r.resource == "pods" && r.group.empty()) {
      std::string phase = StrAt(o, "/status/phase"_json_pointer);
      if (phase == "Succeeded" || phase == "Failed") {
        row["conditions"] = json::array({{{"type", "Completed"}, {"status", "True"}, {"reason", phase},
                                          {"message", "The pod has completed successfully."}}});
      }
    }
    rows.push_back(std::move(row));
  }
  return {{"kind", "Table"}, {"apiVersion", "meta.k8s.io/v1"}, {"metadata", json::object()},
          {"columnDefinitions", p.columns}, {"rows", rows}};
}

}  // namespace tusk::localkube
