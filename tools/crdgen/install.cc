#include "tools/crdgen/install.h"

#include "common/api/schema/crds.h"

namespace tusk::crdgen {
namespace {

namespace schema = tusk::api::schema;

const Json kAllVerbs = {"get", "list", "watch", "create", "update", "patch", "delete"};

Json Labels() { return {{"app.kubernetes.io/name", kOperatorName}, {"app.kubernetes.io/part-of", "tusk"}}; }

Json Meta(const std::string& name, bool namespaced) {
  Json meta = {{"name", name}, {"labels", Labels()}};
  if (namespaced) meta["namespace"] = kNamespace;
  return meta;
}

Json Rule(const std::string& group, const std::vector<std::string>& resources, const Json& verbs) {
  return {{"apiGroups", {group}}, {"resources", resources}, {"verbs", verbs}};
}

// The subresource `sub` of every kind in `group` that has it.
std::vector<std::string> Subresources(const std::string& group, const std::string& sub) {
  std::vector<std::string> out;
  for (const auto& k : schema::Kinds()) {
    if (k.group != group) continue;
    if (sub == "status" && !k.status_subresource) continue;
    out.push_back(k.plural + "/" + sub);
  }
  return out;
}

Json CustomResourceRules() {
  Json rules = Json::array();
  for (const char* group : {schema::kPostgresqlGroup, schema::kBarmanCloudGroup}) {
    rules.push_back(Rule(group, schema::Plurals(group), {"get", "list", "watch", "update", "patch"}));
    std::vector<std::string> subs = Subresources(group, "status");
    for (auto& f : Subresources(group, "finalizers")) subs.push_back(f);
    rules.push_back(Rule(group, subs, {"update", "patch"}));
  }
  // On-demand backups of a ScheduledBackup are created, and expired ones deleted.
  rules.push_back(Rule(schema::kPostgresqlGroup, {"backups"}, {"create", "delete"}));
  return rules;
}

Json Env(const InstallOptions& options) {
  return {
      {{"name", "POSTGRES_IMAGE_NAME"}, {"value", options.postgres_image}},
      {{"name", "OPERATOR_IMAGE_NAME"}, {"value", OperatorImage(options)}},
      {{"name", "OPERATOR_NAMESPACE"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.namespace"}}}}}},
  };
}

Json Probe(const std::string& path) { return {{"httpGet", {{"path", path}, {"port", "health"}}}, {"periodSeconds", 10}}; }

Json OperatorContainer(const InstallOptions& options) {
  return {
      {"name", "manager"},
      {"image", OperatorImage(options)},
      {"imagePullPolicy", "IfNotPresent"},
      {"command", {kOperatorName}},
      {"args", {"--leader-elect"}},
      {"env", Env(options)},
      {"ports", {{{"name", "metrics"}, {"containerPort", kMetricsPort}, {"protocol", "TCP"}},
                 {{"name", "health"}, {"containerPort", kHealthPort}, {"protocol", "TCP"}}}},
      {"livenessProbe", Probe("/healthz")},
      {"readinessProbe", Probe("/readyz")},
      {"resources", {{"requests", {{"cpu", "50m"}, {"memory", "64Mi"}}}, {"limits", {{"memory", "256Mi"}}}}},
      {"securityContext",
       {{"allowPrivilegeEscalation", false}, {"readOnlyRootFilesystem", true}, {"capabilities", {{"drop", {"ALL"}}}}}},
      // The root filesystem is read-only; scratch files go here.
      {"volumeMounts", {{{"name", "scratch"}, {"mountPath", "/tmp"}}}},
  };
}

}  // namespace

std::string OperatorImage(const InstallOptions& options) {
  return std::string(kOperatorRepository) + ":" + options.version;
}

Json Namespace() { return {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", Meta(kNamespace, false)}}; }

Json ServiceAccount() {
  return {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", Meta(kOperatorName, true)}};
}

Json ClusterRole() {
  // What the operator reads and creates for every Cluster: instance pods and
  // their PVCs, Services, Secrets (certificates, credentials), ConfigMaps,
  // Jobs (initdb, join), PDBs, and each cluster's ServiceAccount, Role and
  // RoleBinding. A Role it creates can grant only what it holds itself.
  Json rules = {
      Rule("", {"pods", "persistentvolumeclaims", "services", "secrets", "configmaps", "serviceaccounts"}, kAllVerbs),
      Rule("batch", {"jobs"}, kAllVerbs),
      Rule("policy", {"poddisruptionbudgets"}, kAllVerbs),
      Rule("rbac.authorization.k8s.io", {"roles", "rolebindings"}, kAllVerbs),
      Rule("", {"nodes"}, {"get", "list", "watch"}),
      Rule("", {"events"}, {"create", "patch"}),
      Rule("coordination.k8s.io", {"leases"}, {"get", "create", "update"}),
  };
  for (auto& r : CustomResourceRules()) rules.push_back(r);
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRole"},
          {"metadata", Meta(kOperatorName, false)},
          {"rules", rules}};
}

Json ClusterRoleBinding() {
  return {{"apiVersion", "rbac.authorization.k8s.io/v1"},
          {"kind", "ClusterRoleBinding"},
          {"metadata", Meta(kOperatorName, false)},
          {"roleRef", {{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", kOperatorName}}},
          {"subjects", {{{"kind", "ServiceAccount"}, {"name", kOperatorName}, {"namespace", kNamespace}}}}};
}

Json Deployment(const InstallOptions& options) {
  Json pod_spec = {
      {"serviceAccountName", kOperatorName},
      {"securityContext",
       {{"runAsNonRoot", true},
        {"runAsUser", kOperatorUid},
        {"runAsGroup", kOperatorUid},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
      {"containers", {OperatorContainer(options)}},
      {"volumes", {{{"name", "scratch"}, {"emptyDir", Json::object()}}}},
      {"terminationGracePeriodSeconds", 10},
  };
  return {{"apiVersion", "apps/v1"},
          {"kind", "Deployment"},
          {"metadata", Meta(kOperatorName, true)},
          {"spec",
           {// One replica; leader election makes a second one a safe standby.
            {"replicas", 1},
            {"selector", {{"matchLabels", {{"app.kubernetes.io/name", kOperatorName}}}}},
            {"template", {{"metadata", {{"labels", Labels()}}}, {"spec", pod_spec}}}}}};
}

std::vector<Json> OperatorManifest(const InstallOptions& options) {
  std::vector<Json> out = {Namespace()};
  for (auto& crd : schema::Crds()) out.push_back(std::move(crd));
  out.push_back(ServiceAccount());
  out.push_back(ClusterRole());
  out.push_back(ClusterRoleBinding());
  out.push_back(Deployment(options));
  return out;
}

}  // namespace tusk::crdgen
