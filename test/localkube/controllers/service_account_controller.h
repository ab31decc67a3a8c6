// kube-controller-manager's ServiceAccount controller: every active
// namespace has the ServiceAccount `default`, and one that is deleted comes
// back. (The API creates it with the namespace too, so pods created right
// after a namespace are admitted.)
#pragma once

#include <string>
#include <vector>

#include "test/localkube/controllers/controller.h"
#include "test/localkube/controllers/object_util.h"

namespace tusk::localkube {

// The active (not terminating) namespaces among `namespaces` that have no
// `default` in `service_accounts`. Pure.
std::vector<std::string> NamespacesMissingDefaultServiceAccount(const std::vector<json>& namespaces,
                                                                const std::vector<json>& service_accounts);

class ServiceAccountController : public Controller {
 public:
  explicit ServiceAccountController(Api* api) : api_(api) {}
  std::string name() const override { return "serviceaccount"; }
  std::vector<std::string> watches() const override { return {"namespaces", "serviceaccounts"}; }
  std::optional<Duration> Reconcile() override;

 private:
  Api* api_;
};

}  // namespace tusk::localkube
