#include "test/localkube/controllers/service_account_controller.h"

#include <set>

#include "test/localkube/apiserver/service_accounts.h"

namespace tusk::localkube {

std::vector<std::string> NamespacesMissingDefaultServiceAccount(const std::vector<json>& namespaces,
                                                                const std::vector<json>& service_accounts) {
  std::set<std::string> have;
  for (const auto& sa : service_accounts) {
    if (sa["metadata"].value("name", "") == "default") have.insert(sa["metadata"].value("namespace", ""));
  }
  std::vector<std::string> missing;
  for (const auto& ns : namespaces) {
    const std::string name = ns["metadata"].value("name", "");
    if (!IsDeleting(ns) && !have.count(name)) missing.push_back(name);
  }
  return missing;
}

std::optional<Duration> ServiceAccountController::Reconcile() {
  ListOptions defaults;
  defaults.field_selector = "metadata.name=default";
  auto accounts = api_->List("serviceaccounts", "", defaults);
  if (!accounts.ok()) return std::chrono::seconds(1);
  const std::vector<json> have((*accounts)["items"].begin(), (*accounts)["items"].end());
  bool ok = true;
  for (const auto& ns : NamespacesMissingDefaultServiceAccount(ListObjects(*api_, "namespaces"), have)) {
    auto created = api_->Create("serviceaccounts", ns, DefaultServiceAccount());
    // AlreadyExists: someone made it meanwhile; Forbidden: the namespace
    // began terminating. Neither needs a retry.
    ok &= created.ok() || created.error().code == 409 || created.error().code == 403;
  }
  if (!ok) return std::chrono::milliseconds(200);
  return std::nullopt;
}

}  // namespace tusk::localkube
