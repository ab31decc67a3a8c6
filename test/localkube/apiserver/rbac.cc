#include "test/localkube/apiserver/rbac.h"

#include <algorithm>

namespace tusk::localkube {
namespace {

bool Has(const json& list, const std::string& v) {
  if (!list.is_array()) return false;
  for (const auto& x : list) {
    if (x.is_string() && (x.get<std::string>() == v)) return true;
  }
  return false;
}

bool ResourceMatches(const json& resources, const std::string& resource, const std::string& sub) {
  std::string combined = sub.empty() ? resource : resource + "/" + sub;
  if (!resources.is_array()) return false;
  for (const auto& x : resources) {
    if (!x.is_string()) continue;
    std::string r = x.get<std::string>();
    if (r == "*" || r == combined) return true;
    if (!sub.empty() && r == "*/" + sub) return true;
  }
  return false;
}

}  // namespace

bool UserInfo::has_group(const std::string& g) const {
  return std::find(groups.begin(), groups.end(), g) != groups.end();
}

bool RuleAllows(const json& rule, const RequestAttributes& a) {
  const json verbs = rule.value("verbs", json::array());
  if (!Has(verbs, "*") && !Has(verbs, a.verb)) return false;
  if (!a.resource_request) {
    const json urls = rule.value("nonResourceURLs", json::array());
    for (const auto& u : urls) {
      std::string s = u.get<std::string>();
      if (s == "*" || s == a.path) return true;
      if (!s.empty() && s.back() == '*' && a.path.compare(0, s.size() - 1, s, 0, s.size() - 1) == 0) return true;
    }
    return false;
  }
  const json groups = rule.value("apiGroups", json::array());
  if (!Has(groups, "*") && !Has(groups, a.group)) return false;
  if (!ResourceMatches(rule.value("resources", json::array()), a.resource, a.subresource)) return false;
  const json names = rule.value("resourceNames", json::array());
  if (!names.empty()) {
    if (a.name.empty()) return false;
    if (!Has(names, a.name)) return false;
  }
  return true;
}

bool SubjectMatches(const json& s, const UserInfo& u, const std::string& binding_ns) {
  std::string kind = s.value("kind", "");
  std::string name = s.value("name", "");
  if (kind == "User") return name == u.name;
  if (kind == "Group") return u.has_group(name);
  if (kind == "ServiceAccount") {
    std::string ns = s.value("namespace", binding_ns);
    return u.name == "system:serviceaccount:" + ns + ":" + name;
  }
  return false;
}

namespace {

const json* FindRole(const std::vector<json>& roles, const std::string& name, const std::string& ns) {
  for (const auto& r : roles) {
    const json& m = r["metadata"];
    if (m.value("name", "") == name && m.value("namespace", "") == ns) return &r;
  }
  return nullptr;
}

template <typename Fn>
void ForEachRule(const RbacPolicy& p, const UserInfo& u, const std::string& ns, Fn fn) {
  auto rules_of = [&](const json& ref, const std::string& binding_ns) -> json {
    std::string kind = ref.value("kind", "");
    std::string name = ref.value("name", "");
    const json* role = kind == "ClusterRole" ? FindRole(p.cluster_roles, name, "") : FindRole(p.roles, name, binding_ns);
    return role ? role->value("rules", json::array()) : json::array();
  };
  auto bound = [&](const json& b, const std::string& binding_ns) {
    for (const auto& s : b.value("subjects", json::array())) {
      if (SubjectMatches(s, u, binding_ns)) return true;
    }
    return false;
  };
  for (const auto& b : p.cluster_role_bindings) {
    if (!bound(b, "")) continue;
    for (const auto& rule : rules_of(b.value("roleRef", json::object()), "")) {
      if (fn(rule)) return;
    }
  }
  if (ns.empty()) return;
  for (const auto& b : p.role_bindings) {
    std::string bns = b["metadata"].value("namespace", "");
    if (bns != ns || !bound(b, bns)) continue;
    for (const auto& rule : rules_of(b.value("roleRef", json::object()), bns)) {
      if (fn(rule)) return;
    }
  }
}

}  // namespace

bool Authorize(const RbacPolicy& p, const UserInfo& u, const RequestAttributes& a) {
  if (u.has_group("system:masters")) return true;
  bool allowed = false;
  ForEachRule(p, u, a.ns, [&](const json& rule) {
    allowed = RuleAllows(rule, a);
    return allowed;
  });
  return allowed;
}

std::vector<json> RulesFor(const RbacPolicy& p, const UserInfo& u, const std::string& ns) {
  std::vector<json> out;
  if (u.has_group("system:masters")) {
    out.push_back({{"verbs", {"*"}}, {"apiGroups", {"*"}}, {"resources", {"*"}}});
    out.push_back({{"verbs", {"*"}}, {"nonResourceURLs", {"*"}}});
    return out;
  }
  ForEachRule(p, u, ns, [&](const json& rule) {
    out.push_back(rule);
    return false;
  });
  return out;
}

std::string DenialText(const UserInfo& u, const RequestAttributes& a) {
  std::string who = "User \"" + u.name + "\" cannot " + a.verb;
  if (!a.resource_request) return who + " path \"" + a.path + "\"";
  std::string res = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
  std::string text = who + " resource \"" + res + "\" in API group \"" + a.group + "\"";
  if (a.ns.empty()) return text + " at the cluster scope";
  return text + " in the namespace \"" + a.ns + "\"";
}

std::vector<json> BootstrapClusterRoles() {
  auto role = [](const std::string& name, json rules) {
    return json{{"apiVersion", "rbac.authorization.k8s.io/v1"}, {"kind", "ClusterRole"},
                {"metadata", {{"name", name}, {"labels", {{"kubernetes.io/bootstrapping", "rbac-defaults"}}}}},
                {"rules", std::move(rules)}};
  };
  json all_read = {{"apiGroups", {"*"}}, {"resources", {"*"}}, {"verbs", {"get", "list", "watch"}}};
  json all_write = {{"apiGroups", {"*"}}, {"resources", {"*"}},
                    {"verbs", {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}}};
  return {
      role("cluster-admin", json::array({{{"apiGroups", {"*"}}, {"resources", {"*"}}, {"verbs", {"*"}}},
                                          {{"nonResourceURLs", {"*"}}, {"verbs", {"*"}}}})),
      role("admin", json::array({all_write})),
      role("edit", json::array({all_write})),
      role("view", json::array({all_read})),
      role("system:discovery",
           json::array({{{"nonResourceURLs", {"/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi",
                                              "/openapi/*", "/readyz", "/version", "/version/"}},
                         {"verbs", {"get"}}}})),
      role("system:public-info-viewer",
           json::array({{{"nonResourceURLs", {"/healthz", "/livez", "/readyz", "/version", "/version/"}},
                         {"verbs", {"get"}}}})),
      role("system:basic-user",
           json::array({{{"apiGroups", {"authorization.k8s.io"}},
                         {"resources", {"selfsubjectaccessreviews", "selfsubjectrulesreviews"}},
                         {"verbs", {"create"}}},
                        {{"apiGroups", {"authentication.k8s.io"}}, {"resources", {"selfsubjectreviews"}},
                         {"verbs", {"create"}}}})),
  };
}

std::vector<json> BootstrapClusterRoleBindings() {
  auto binding = [](const std::string& name, const std::string& role, json subjects) {
    return json{{"apiVersion", "rbac.authorization.k8s.io/v1"}, {"kind", "ClusterRoleBinding"},
                {"metadata", {{"name", name}, {"labels", {{"kubernetes.io/bootstrapping", "rbac-defaults"}}}}},
                {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", role}}},
                {"subjects", std::move(subjects)}};
  };
  auto group = [](const std::string& g) {
    return json{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "Group"}, {"name", g}};
  };
  return {
      binding("cluster-admin", "cluster-admin", json::array({group("system:masters")})),
      binding("system:discovery", "system:discovery", json::array({group("system:authenticated")})),
      binding("system:basic-user", "system:basic-user", json::array({group("system:authenticated")})),
      binding("system:public-info-viewer", "system:public-info-viewer",
              json::array({group("system:authenticated"), group("system:unauthenticated")})),
  };
}

}  // namespace tusk::localkube
