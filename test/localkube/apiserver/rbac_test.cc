#include "test/localkube/apiserver/rbac.h"
#include "test/localkube/apiserver/request_info.h"

#include <catch2/catch.hpp>

namespace tusk::localkube {
namespace {

RequestAttributes Attrs(const std::string& verb, const std::string& resource, const std::string& ns = "default",
                        const std::string& name = "", const std::string& sub = "", const std::string& group = "") {
  return {true, verb, group, resource, sub, name, ns, ""};
}

TEST_CASE("rule matching: verbs, groups, resources, subresources, names") {
  json rule = {{"verbs", {"get", "list"}}, {"apiGroups", {""}}, {"resources", {"pods", "pods/status"}}};
  CHECK(RuleAllows(rule, Attrs("get", "pods")));
  CHECK(RuleAllows(rule, Attrs("get", "pods", "default", "p", "status")));
  CHECK_FALSE(RuleAllows(rule, Attrs("get", "pods", "default", "p", "log")));
  CHECK_FALSE(RuleAllows(rule, Attrs("delete", "pods")));
  CHECK_FALSE(RuleAllows(rule, Attrs("get", "pods", "default", "", "", "apps")));
  json star = {{"verbs", {"*"}}, {"apiGroups", {"*"}}, {"resources", {"*"}}};
  CHECK(RuleAllows(star, Attrs("patch", "clusters", "x", "c", "status", "postgresql.cnpg.io")));
  json scale = {{"verbs", {"update"}}, {"apiGroups", {"*"}}, {"resources", {"*/scale"}}};
  CHECK(RuleAllows(scale, Attrs("update", "deployments", "d", "web", "scale", "apps")));
  CHECK_FALSE(RuleAllows(scale, Attrs("update", "deployments", "d", "web", "", "apps")));
  json named = {{"verbs", {"get", "list"}}, {"apiGroups", {""}}, {"resources", {"secrets"}}, {"resourceNames", {"s1"}}};
  CHECK(RuleAllows(named, Attrs("get", "secrets", "d", "s1")));
  CHECK_FALSE(RuleAllows(named, Attrs("get", "secrets", "d", "s2")));
  CHECK_FALSE(RuleAllows(named, Attrs("list", "secrets", "d")));
  json urls = {{"verbs", {"get"}}, {"nonResourceURLs", {"/healthz", "/apis/*"}}};
  RequestAttributes nr{false, "get", "", "", "", "", "", "/apis/apps/v1"};
  CHECK(RuleAllows(urls, nr));
  nr.path = "/metrics";
  CHECK_FALSE(RuleAllows(urls, nr));
}

TEST_CASE("bindings grant roles to users, groups and service accounts") {
  RbacPolicy p;
  p.roles.push_back({{"metadata", {{"name", "reader"}, {"namespace", "team"}}},
                     {"rules", json::array({{{"verbs", {"get"}}, {"apiGroups", {""}}, {"resources", {"pods"}}}})}});
  p.cluster_roles.push_back({{"metadata", {{"name", "lister"}}},
                             {"rules", json::array({{{"verbs", {"list"}}, {"apiGroups", {""}}, {"resources", {"pods"}}}})}});
  p.role_bindings.push_back({{"metadata", {{"name", "b1"}, {"namespace", "team"}}},
                             {"roleRef", {{"kind", "Role"}, {"name", "reader"}}},
                             {"subjects", json::array({{{"kind", "ServiceAccount"}, {"name", "bot"}}})}});
  p.role_bindings.push_back({{"metadata", {{"name", "b2"}, {"namespace", "team"}}},
                             {"roleRef", {{"kind", "ClusterRole"}, {"name", "lister"}}},
                             {"subjects", json::array({{{"kind", "Group"}, {"name", "devs"}}})}});
  UserInfo bot{"system:serviceaccount:team:bot", "", {"system:serviceaccounts"}};
  UserInfo dev{"alice", "", {"devs"}};
  CHECK(Authorize(p, bot, Attrs("get", "pods", "team")));
  CHECK_FALSE(Authorize(p, bot, Attrs("get", "pods", "other")));
  CHECK_FALSE(Authorize(p, bot, Attrs("list", "pods", "team")));
  CHECK(Authorize(p, dev, Attrs("list", "pods", "team")));
  CHECK_FALSE(Authorize(p, dev, Attrs("list", "pods", "default")));
  CHECK(Authorize(p, UserInfo{"root", "", {"system:masters"}}, Attrs("delete", "nodes", "")));
  CHECK(RulesFor(p, dev, "team").size() == 1);
}

TEST_CASE("denial text matches kube-apiserver") {
  UserInfo u{"alice", "", {}};
  CHECK(DenialText(u, Attrs("get", "pods", "default")) ==
        "User \"alice\" cannot get resource \"pods\" in API group \"\" in the namespace \"default\"");
  CHECK(DenialText(u, Attrs("list", "nodes", "")) ==
        "User \"alice\" cannot list resource \"nodes\" in API group \"\" at the cluster scope");
  CHECK(DenialText(u, Attrs("patch", "clusters", "db", "c", "status", "postgresql.cnpg.io")) ==
        "User \"alice\" cannot patch resource \"clusters/status\" in API group \"postgresql.cnpg.io\" in the namespace \"db\"");
  RequestAttributes nr{false, "get", "", "", "", "", "", "/metrics"};
  CHECK(DenialText(u, nr) == "User \"alice\" cannot get path \"/metrics\"");
}

}  // namespace
}  // namespace tusk::localkube

namespace tusk::localkube {

TEST_CASE("a list or watch naming one object by field selector is authorized for that name") {
  RequestInfo watch = ParseRequestInfo("GET", "/apis/postgresql.cnpg.io/v1/namespaces/db/clusters", true);
  CHECK(watch.verb == "watch");
  CHECK(AuthorizationName(watch, "metadata.name=pg") == "pg");
  CHECK(AuthorizationName(watch, "metadata.name==pg,metadata.namespace=db") == "pg");
  // Anything but an exact match of one name is a request for every object.
  CHECK(AuthorizationName(watch, "metadata.name!=pg") == "");
  CHECK(AuthorizationName(watch, "status.phase=Running") == "");
  CHECK(AuthorizationName(watch, "") == "");
  CHECK(AuthorizationName(watch, "metadata.name=a/b") == "");
  RequestInfo create = ParseRequestInfo("POST", "/api/v1/namespaces/db/pods", false);
  CHECK(AuthorizationName(create, "metadata.name=pg") == "");

  json rule = {{"apiGroups", {"postgresql.cnpg.io"}}, {"resources", {"clusters"}},
               {"resourceNames", {"pg"}}, {"verbs", {"get", "list", "watch"}}};
  RequestAttributes mine{true, "watch", "postgresql.cnpg.io", "clusters", "", AuthorizationName(watch, "metadata.name=pg"),
                         "db", ""};
  RequestAttributes all{true, "watch", "postgresql.cnpg.io", "clusters", "", AuthorizationName(watch, ""), "db", ""};
  CHECK(RuleAllows(rule, mine));
  CHECK_FALSE(RuleAllows(rule, all));
}

}  // namespace tusk::localkube
