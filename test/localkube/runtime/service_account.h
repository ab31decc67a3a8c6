// What the ServiceAccount admission step adds to a pod so in-cluster clients
// work: a projected `kube-api-access-*` volume (token, ca.crt, namespace)
// mounted read-only at /var/run/secrets/kubernetes.io/serviceaccount in
// every container. Pure; the API server calls it when a pod is created.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace tusk::localkube {

inline constexpr char kServiceAccountMountPath[] = "/var/run/secrets/kubernetes.io/serviceaccount";

// The pod with the volume and mounts added. Unchanged when
// automountServiceAccountToken is false (pod or `service_account`), or a
// container already mounts something at the path. `suffix` names the
// volume (Kubernetes uses five random characters).
nlohmann::json WithServiceAccountToken(const nlohmann::json& pod, const std::string& suffix,
                                       const nlohmann::json& service_account = nullptr);

}  // namespace tusk::localkube
