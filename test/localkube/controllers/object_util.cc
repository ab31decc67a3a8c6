#include "test/localkube/controllers/object_util.h"

#include "test/localkube/apiserver/meta_util.h"

namespace tusk::localkube {

json FindCondition(const json& obj, const std::string& type) {
  const json* status = Find(obj, "status");
  if (!status || !status->is_object()) return json::object();
  for (const auto& c : status->value("conditions", json::array())) {
    if (c.is_object() && c.value("type", "") == type) return c;
  }
  return json::object();
}

bool PodReady(const json& pod) {
  json c = FindCondition(pod, "Ready");
  return c.is_object() && c.value("status", "") == "True";
}

bool PodAvailable(const json& pod, int64_t min_ready_seconds, WallTime now) {
  if (!PodReady(pod)) return false;
  if (min_ready_seconds <= 0) return true;
  auto since = ParseRfc3339(FindCondition(pod, "Ready").value("lastTransitionTime", ""));
  return since && *since + std::chrono::seconds(min_ready_seconds) <= now;
}

bool PodTerminated(const json& pod) {
  std::string phase = StrAt(pod, "/status/phase"_json_pointer);
  return phase == "Succeeded" || phase == "Failed";
}

bool IsDeleting(const json& obj) { return obj.contains("/metadata/deletionTimestamp"_json_pointer); }

bool PodActive(const json& pod) { return !PodTerminated(pod) && !IsDeleting(pod); }

json ControllerRef(const json& owner) {
  return {{"apiVersion", owner.value("apiVersion", "")},
          {"kind", owner.value("kind", "")},
          {"name", owner["metadata"].value("name", "")},
          {"uid", owner["metadata"].value("uid", "")},
          {"controller", true},
          {"blockOwnerDeletion", true}};
}

bool ControlledBy(const json& obj, const std::string& owner_uid) {
  const json& meta = obj["metadata"];
  if (!meta.contains("ownerReferences")) return false;
  for (const auto& r : meta["ownerReferences"]) {
    if (r.value("controller", false) && r.value("uid", "") == owner_uid) return true;
  }
  return false;
}

json& SetCondition(json& conditions, const std::string& type, const std::string& status, const std::string& reason,
                   const std::string& message, const std::string& now) {
  if (!conditions.is_array()) conditions = json::array();
  for (auto& c : conditions) {
    if (c.value("type", "") != type) continue;
    if (c.value("status", "") != status) c["lastTransitionTime"] = now;
    c["status"] = status;
    c["reason"] = reason;
    c["message"] = message;
    return c;
  }
  conditions.push_back({{"type", type}, {"status", status}, {"reason", reason}, {"message", message},
                        {"lastTransitionTime", now}});
  return conditions.back();
}

std::vector<json> ListObjects(const Api& api, const std::string& gr, const std::string& ns) {
  std::vector<json> out;
  for (const auto& o : api.store().List(gr, ns, nullptr).items) out.push_back(*o);
  return out;
}

void RecordEvent(Api& api, const json& object, const std::string& type, const std::string& reason,
                 const std::string& message, const std::string& component, WallTime now) {
  const json& meta = object["metadata"];
  std::string ns = meta.value("namespace", "default");
  std::string ts = FormatRfc3339(now);
  json ev = {{"apiVersion", "v1"},
             {"kind", "Event"},
             {"metadata", {{"generateName", meta.value("name", "") + "."}, {"namespace", ns}}},
             {"involvedObject", {{"kind", object.value("kind", "")},
                                 {"apiVersion", object.value("apiVersion", "")},
                                 {"namespace", ns},
                                 {"name", meta.value("name", "")},
                                 {"uid", meta.value("uid", "")},
                                 {"resourceVersion", meta.value("resourceVersion", "")}}},
             {"type", type},
             {"reason", reason},
             {"message", message},
             {"count", 1},
             {"firstTimestamp", ts},
             {"lastTimestamp", ts},
             {"source", {{"component", component}}},
             {"reportingComponent", component},
             {"reportingInstance", ""}};
  api.Create("events", ns, ev);
}

bool IsConflict(const ApiError& e) { return e.code == 409; }

}  // namespace tusk::localkube
