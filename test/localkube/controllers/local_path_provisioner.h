// The local-path provisioner (rancher.io/local-path, as kind ships it) and
// the PVC protection controller: the default StorageClass `standard`, a
// hostPath PV under volumes_dir pinned to the node the scheduler selected,
// claim binding, reclaim Delete (PV and directory removed once the claim is
// gone) and the kubernetes.io/pvc-protection finalizer.
#pragma once

#include <string>
#include <vector>

#include "test/localkube/controllers/controller.h"
#include "test/localkube/controllers/object_util.h"

namespace tusk::localkube {

inline constexpr char kLocalPathProvisioner[] = "rancher.io/local-path";
inline constexpr char kPvcProtection[] = "kubernetes.io/pvc-protection";

// The default StorageClass localkube starts with.
json DefaultStorageClass();
// The PV the provisioner makes for `claim` on `node` under `volumes_dir`.
json ProvisionedVolume(const json& claim, const std::string& node, const std::string& volumes_dir);
// True when some pod that has not terminated mounts the claim: it must stay.
bool ClaimInUse(const json& claim, const std::vector<json>& pods);

class LocalPathProvisioner : public Controller {
 public:
  LocalPathProvisioner(Api* api, std::string volumes_dir) : api_(api), volumes_dir_(std::move(volumes_dir)) {}
  std::string name() const override { return "local-path-provisioner"; }
  std::vector<std::string> watches() const override {
    return {"persistentvolumeclaims", "persistentvolumes", "pods"};
  }
  std::optional<Duration> Reconcile() override;
  // Creates the default StorageClass if absent.
  void EnsureStorageClass();

 private:
  bool Provision(const json& claim, const json& storage_class);
  bool Reclaim(const json& pv);
  bool Protect(const json& claim, const std::vector<json>& pods);

  Api* api_;
  std::string volumes_dir_;
};

}  // namespace tusk::localkube
