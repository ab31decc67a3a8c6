#include "test/localkube/controllers/local_path_provisioner.h"

#include <sys/stat.h>

#include "common/base/files.h"
#include "test/localkube/apiserver/kinds.h"
#include "test/localkube/apiserver/meta_util.h"
#include "test/localkube/controllers/scheduling.h"

namespace tusk::localkube {

json DefaultStorageClass() {
  return {{"apiVersion", "storage.k8s.io/v1"},
          {"kind", "StorageClass"},
          {"metadata", {{"name", "standard"},
                        {"annotations", {{"storageclass.kubernetes.io/is-default-class", "true"}}}}},
          {"provisioner", kLocalPathProvisioner},
          {"reclaimPolicy", "Delete"},
          {"volumeBindingMode", "WaitForFirstConsumer"}};
}

json ProvisionedVolume(const json& claim, const std::string& node, const std::string& volumes_dir) {
  const json& m = claim["metadata"];
  std::string name = "pvc-" + m.value("uid", "");
  json spec = claim.value("spec", json::object());
  json storage = spec.value("resources", json::object()).value("requests", json::object()).value("storage", json("1Gi"));
  return {{"apiVersion", "v1"},
          {"kind", "PersistentVolume"},
          {"metadata", {{"name", name},
                        {"annotations", {{"pv.kubernetes.io/provisioned-by", kLocalPathProvisioner},
                                         {"local.path.provisioner/selected-node", node}}},
                        {"finalizers", json::array({"kubernetes.io/pv-protection"})}}},
          {"spec", {{"capacity", {{"storage", storage}}},
                    {"accessModes", spec.value("accessModes", json::array({"ReadWriteOnce"}))},
                    {"persistentVolumeReclaimPolicy", "Delete"},
                    {"storageClassName", spec.value("storageClassName", "")},
                    {"volumeMode", spec.value("volumeMode", "Filesystem")},
                    {"hostPath", {{"path", volumes_dir + "/" + name}, {"type", "DirectoryOrCreate"}}},
                    {"claimRef", {{"apiVersion", "v1"},
                                  {"kind", "PersistentVolumeClaim"},
                                  {"namespace", m.value("namespace", "")},
                                  {"name", m.value("name", "")},
                                  {"uid", m.value("uid", "")},
                                  {"resourceVersion", m.value("resourceVersion", "")}}},
                    {"nodeAffinity", {{"required", {{"nodeSelectorTerms", json::array({
                        {{"matchExpressions", json::array({{{"key", "kubernetes.io/hostname"},
                                                            {"operator", "In"},
                                                            {"values", json::array({node})}}})}}})}}}}}}}};
}

bool ClaimInUse(const json& claim, const std::vector<json>& pods) {
  const json& m = claim["metadata"];
  for (const auto& pod : pods) {
    if (pod["metadata"].value("namespace", "") != m.value("namespace", "") || PodTerminated(pod)) continue;
    for (const auto& v : pod["spec"].value("volumes", json::array())) {
      if (StrAt(v, "/persistentVolumeClaim/claimName"_json_pointer) == m.value("name", "")) return true;
    }
  }
  return false;
}

void LocalPathProvisioner::EnsureStorageClass() {
  if (!api_->store().Get("storageclasses.storage.k8s.io", "", "standard")) {
    api_->Create("storageclasses.storage.k8s.io", "", DefaultStorageClass());
  }
}

std::optional<Duration> LocalPathProvisioner::Reconcile() {
  bool retry = false;
  std::vector<json> pods = ListObjects(*api_, "pods");
  auto claims_resource = api_->Resolve("persistentvolumeclaims");
  for (auto claim : ListObjects(*api_, "persistentvolumeclaims")) {
    // Claims made before a default class existed get it now, as the PV
    // controller's retroactive default StorageClass assignment does.
    if (claims_resource && !claim.value("spec", json::object()).contains("storageClassName")) {
      DefaultStorageClass(*claims_resource, claim, api_->store());
      if (claim["spec"].contains("storageClassName")) {
        auto r = api_->Update("persistentvolumeclaims", claim["metadata"].value("namespace", ""),
                              claim["metadata"].value("name", ""), claim);
        if (!r.ok()) {
          retry = true;
          continue;
        }
        claim = r->object;
      }
    }
    retry |= !Protect(claim, pods);
    if (IsDeleting(claim) || !StrAt(claim, "/spec/volumeName"_json_pointer).empty()) continue;
    auto sc = api_->store().Get("storageclasses.storage.k8s.io", "", StrAt(claim, "/spec/storageClassName"_json_pointer));
    if (!sc || (*sc).value("provisioner", "") != kLocalPathProvisioner) continue;
    retry |= !Provision(claim, *sc);
  }
  for (const auto& pv : ListObjects(*api_, "persistentvolumes")) retry |= !Reclaim(pv);
  if (retry) return std::chrono::milliseconds(200);
  return std::nullopt;
}

bool LocalPathProvisioner::Protect(const json& claim, const std::vector<json>& pods) {
  const json& m = claim["metadata"];
  json finalizers = m.value("finalizers", json::array());
  bool has = std::find(finalizers.begin(), finalizers.end(), kPvcProtection) != finalizers.end();
  json next = claim;
  if (!IsDeleting(claim) && !has) {
    next["metadata"]["finalizers"].push_back(kPvcProtection);
  } else if (IsDeleting(claim) && has && !ClaimInUse(claim, pods)) {
    json kept = json::array();
    for (const auto& f : finalizers) {
      if (f != kPvcProtection) kept.push_back(f);
    }
    next["metadata"]["finalizers"] = kept;
  } else {
    return true;
  }
  auto r = api_->Update("persistentvolumeclaims", m.value("namespace", ""), m.value("name", ""), next);
  return r.ok() || r.error().code == 404;
}

bool LocalPathProvisioner::Provision(const json& claim, const json& storage_class) {
  const json& m = claim["metadata"];
  std::string node = m.value("annotations", json::object()).value(kSelectedNodeAnnotation, "");
  if (node.empty() && storage_class.value("volumeBindingMode", "") == "WaitForFirstConsumer") return true;
  if (node.empty()) return true;  // Immediate claims would need a node of their own choosing
  json pv = ProvisionedVolume(claim, node, volumes_dir_);
  pv["spec"]["persistentVolumeReclaimPolicy"] = storage_class.value("reclaimPolicy", "Delete");
  std::string path = pv["spec"]["hostPath"].value("path", "");
  if (!MakeDirs(path).ok()) return false;
  ::chmod(path.c_str(), 0777);  // any pod uid may write, as local-path's helper pod leaves it
  std::string pv_name = pv["metadata"].value("name", "");
  if (!api_->store().Get("persistentvolumes", "", pv_name)) {
    auto created = api_->Create("persistentvolumes", "", pv);
    if (!created.ok() && created.error().code != 409) return false;
  }
  if (auto cur = api_->store().Get("persistentvolumes", "", pv_name); cur && StrAt(*cur, "/status/phase"_json_pointer) != "Bound") {
    json st = *cur;
    st["status"] = {{"phase", "Bound"}};
    api_->UpdateStatus("persistentvolumes", "", st);
  }
  json bound = claim;
  bound["spec"]["volumeName"] = pv_name;
  json& ann = bound["metadata"]["annotations"];
  ann["pv.kubernetes.io/bind-completed"] = "yes";
  ann["pv.kubernetes.io/bound-by-controller"] = "yes";
  ann["volume.beta.kubernetes.io/storage-provisioner"] = kLocalPathProvisioner;
  ann["volume.kubernetes.io/storage-provisioner"] = kLocalPathProvisioner;
  auto r = api_->Update("persistentvolumeclaims", m.value("namespace", ""), m.value("name", ""), bound);
  if (!r.ok()) return false;
  json st = r->object;
  st["status"] = {{"phase", "Bound"},
                  {"accessModes", pv["spec"]["accessModes"]},
                  {"capacity", pv["spec"]["capacity"]}};
  return api_->UpdateStatus("persistentvolumeclaims", m.value("namespace", ""), st).ok();
}

bool LocalPathProvisioner::Reclaim(const json& pv) {
  const json ref = pv.value("spec", json::object()).value("claimRef", json::object());
  if (ref.empty() || pv["metadata"].value("annotations", json::object()).value("pv.kubernetes.io/provisioned-by", "") !=
                         kLocalPathProvisioner) {
    return true;
  }
  auto claim = api_->store().Get("persistentvolumeclaims", ref.value("namespace", ""), ref.value("name", ""));
  if (claim && (*claim)["metadata"].value("uid", "") == ref.value("uid", "")) return true;
  std::string name = pv["metadata"].value("name", "");
  if (pv["spec"].value("persistentVolumeReclaimPolicy", "Delete") != "Delete") {
    if (StrAt(pv, "/status/phase"_json_pointer) == "Released") return true;
    json st = pv;
    st["status"] = {{"phase", "Released"}};
    return api_->UpdateStatus("persistentvolumes", "", st).ok();
  }
  std::string path = StrAt(pv, "/spec/hostPath/path"_json_pointer);
  // Only ever remove what this provisioner made: a pvc-* directory under volumes_dir.
  if (!path.empty() && path.rfind(volumes_dir_ + "/pvc-", 0) == 0 && !RemoveAll(path).ok()) return false;
  json unprotected = pv;
  unprotected["metadata"]["finalizers"] = json::array();
  if (!IsDeleting(pv)) {
    auto d = api_->Delete("persistentvolumes", "", name);
    if (!d.ok()) return d.error().code == 404;
    if (!IsDeleting(*d)) return true;
    unprotected = *d;
    unprotected["metadata"]["finalizers"] = json::array();
  }
  auto r = api_->Update("persistentvolumes", "", name, unprotected);
  return r.ok() || r.error().code == 404;
}

}  // namespace tusk::localkube
