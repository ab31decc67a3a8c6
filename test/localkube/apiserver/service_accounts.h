// ServiceAccounts in the API server: the `default` one every namespace has,
// and kube-apiserver's ServiceAccount admission for new pods, which names the
// pod's ServiceAccount, refuses one that does not exist, and mounts a
// projected `kube-api-access-*` volume (token, ca.crt, namespace) read-only
// at /var/run/secrets/kubernetes.io/serviceaccount so in-cluster clients work.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "test/localkube/apiserver/errors.h"
#include "test/localkube/apiserver/registry.h"
#include "test/localkube/apiserver/store.h"

namespace tusk::localkube {

inline constexpr char kServiceAccountMountPath[] = "/var/run/secrets/kubernetes.io/serviceaccount";
// The CA bundle kube-controller-manager publishes in every namespace.
inline constexpr char kRootCaConfigMap[] = "kube-root-ca.crt";
inline constexpr char kRootCaKey[] = "ca.crt";
// What the admission step asks the kubelet for: a little over an hour.
inline constexpr int64_t kAdmissionTokenSeconds = 3607;

// The ServiceAccount `default` the ServiceAccount controller keeps in every
// namespace.
nlohmann::json DefaultServiceAccount();

// The pod with the token volume mounted in every init container and
// container that does not mount something at the path already, reusing a
// `kube-api-access-*` volume the pod has, else adding one named with
// `suffix` (Kubernetes uses five random characters). Unchanged when
// automountServiceAccountToken is false (on the pod, else on
// `service_account`). Pure.
nlohmann::json WithServiceAccountToken(const nlohmann::json& pod, const std::string& suffix,
                                       const nlohmann::json& service_account = nullptr);

// The admission step for a Pod being created (other kinds pass): fills
// spec.serviceAccountName ("default"), answers 403 as kube-apiserver does
// when that ServiceAccount does not exist (`shown_name` is the name the
// client sent, or its generateName), and mounts the token. Reads the store,
// so call it before the write takes the store's lock.
ApiOr<bool> AdmitServiceAccount(const ResourceInfo& r, nlohmann::json& pod, const Store& store,
                                const std::string& shown_name);

}  // namespace tusk::localkube
