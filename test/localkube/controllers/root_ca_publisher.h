// kube-controller-manager's root CA publisher: a ConfigMap `kube-root-ca.crt`
// whose `ca.crt` is the API server's serving CA in every active namespace,
// so pods verify the API with their projected ca.crt. A deleted one is
// created again, an edited one is put back.
#pragma once

#include <string>
#include <vector>

#include "test/localkube/controllers/controller.h"
#include "test/localkube/controllers/object_util.h"

namespace tusk::localkube {

// The ConfigMap as published (no namespace).
json RootCaConfigMap(const std::string& ca_pem);

struct RootCaWrite {
  std::string ns;
  json object;  // for an update: the stored object with the content put back
  bool create = false;
};

// What to write so every active namespace among `namespaces` holds the
// right ConfigMap, given the `kube-root-ca.crt` ConfigMaps there are. Pure.
std::vector<RootCaWrite> PlanRootCa(const std::vector<json>& namespaces, const std::vector<json>& config_maps,
                                    const std::string& ca_pem);

class RootCaPublisher : public Controller {
 public:
  RootCaPublisher(Api* api, std::string ca_pem) : api_(api), ca_pem_(std::move(ca_pem)) {}
  std::string name() const override { return "root-ca-cert-publisher"; }
  std::vector<std::string> watches() const override { return {"namespaces", "configmaps"}; }
  std::optional<Duration> Reconcile() override;

 private:
  Api* api_;
  std::string ca_pem_;
};

}  // namespace tusk::localkube
