// RBAC authorization as Kubernetes evaluates it: which Role/ClusterRole rules
// a user's bindings grant, whether a rule covers a request, and the
// Forbidden message kubectl prints. Pure: the roles and bindings are given.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tusk::localkube {

using json = nlohmann::json;

struct UserInfo {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
  bool has_group(const std::string& g) const;
};

struct RequestAttributes {
  bool resource_request = true;
  std::string verb;  // get list watch create update patch delete deletecollection
  std::string group;
  std::string resource;
  std::string subresource;
  std::string name;
  std::string ns;
  std::string path;  // non-resource requests
};

// Everything RBAC needs, read from the store by the caller.
struct RbacPolicy {
  std::vector<json> cluster_roles, roles, cluster_role_bindings, role_bindings;
};

bool RuleAllows(const json& rule, const RequestAttributes& a);
bool SubjectMatches(const json& subject, const UserInfo& user, const std::string& binding_ns);
bool Authorize(const RbacPolicy& policy, const UserInfo& user, const RequestAttributes& a);
// The rules that apply to `user` in `ns` (cluster-wide rules included).
std::vector<json> RulesFor(const RbacPolicy& policy, const UserInfo& user, const std::string& ns);
// `User "x" cannot get resource "pods" in API group "" in the namespace "ns"`.
std::string DenialText(const UserInfo& user, const RequestAttributes& a);

// The ClusterRoles and ClusterRoleBindings a fresh cluster starts with.
std::vector<json> BootstrapClusterRoles();
std::vector<json> BootstrapClusterRoleBindings();

}  // namespace tusk::localkube
