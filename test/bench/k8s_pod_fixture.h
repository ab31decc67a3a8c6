// A realistic Postgres instance Pod as the API server returns it (about
// 5 KB of compact JSON): what the operator's informers hold by the thousand.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace tusk::bench {

inline nlohmann::json PostgresPod(int cluster, int serial, int64_t resource_version) {
  using Json = nlohmann::json;
  const std::string cname = "cluster-" + std::to_string(cluster);
  const std::string pod = cname + "-" + std::to_string(serial);
  const std::string ns = "tenant-" + std::to_string(cluster % 50);
  auto env = Json::array();
  for (const auto& [k, v] : std::vector<std::pair<std::string, std::string>>{
           {"PGDATA", "/var/lib/postgresql/data/pgdata"}, {"POD_NAME", pod}, {"NAMESPACE", ns},
           {"CLUSTER_NAME", cname}, {"PSQL_HISTORY", "/controller/tmp/.psql_history"}, {"PGPORT", "5432"},
           {"PGHOST", "/controller/run"}, {"TMPDIR", "/controller/tmp"}}) {
    env.push_back({{"name", k}, {"value", v}});
  }
  auto mount = [](const std::string& name, const std::string& path) { return Json{{"name", name}, {"mountPath", path}}; };
  auto probe = [](const std::string& path) {
    return Json{{"httpGet", {{"path", path}, {"port", 8000}, {"scheme", "HTTP"}}}, {"timeoutSeconds", 5},
                {"periodSeconds", 10}, {"successThreshold", 1}, {"failureThreshold", 3}};
  };
  auto condition = [](const std::string& type) {
    return Json{{"type", type}, {"status", "True"}, {"lastProbeTime", nullptr},
                {"lastTransitionTime", "2026-11-25T10:00:00Z"}};
  };
  Json p = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", pod},
        {"namespace", ns},
        {"uid", "6f1c2d3e-" + std::to_string(100000 + cluster) + "-4a5b-8c9d-" + std::to_string(1000000 + serial)},
        {"resourceVersion", std::to_string(resource_version)},
        {"creationTimestamp", "2026-11-25T10:00:00Z"},
        {"labels",
         {{"cnpg.io/cluster", cname}, {"cnpg.io/instanceName", pod}, {"cnpg.io/instanceRole", serial == 1 ? "primary" : "replica"},
          {"cnpg.io/podRole", "instance"}, {"role", serial == 1 ? "primary" : "replica"}, {"app.kubernetes.io/managed-by", "tusk"}}},
        {"annotations",
         {{"cnpg.io/operatorVersion", "0.1.0"}, {"cnpg.io/podEnvHash", "5c7d9f8b6d"},
          {"cnpg.io/podSpec", R"({"volumes":[{"name":"pgdata"},{"name":"scratch-data"},{"name":"shm"}],"containers":[{"name":"postgres"}]})"}}},
        {"ownerReferences",
         Json::array({{{"apiVersion", "postgresql.cnpg.io/v1"}, {"kind", "Cluster"}, {"name", cname},
                       {"uid", "0a1b2c3d-" + std::to_string(100000 + cluster)}, {"controller", true},
                       {"blockOwnerDeletion", true}}})}}},
      {"spec",
       {{"initContainers",
         Json::array({{{"name", "bootstrap-controller"}, {"image", "ghcr.io/tusk/tusk-operator:0.1.0"},
                       {"command", {"/manager", "bootstrap", "/controller/manager"}},
                       {"volumeMounts", Json::array({mount("scratch-data", "/controller")})},
                       {"resources", Json::object()}, {"imagePullPolicy", "IfNotPresent"}}})},
        {"containers",
         Json::array({{{"name", "postgres"}, {"image", "ghcr.io/cloudnative-pg/postgresql:18.6-system-trixie"},
                       {"command", {"/controller/manager", "instance", "run", "--log-level=info"}},
                       {"env", env},
                       {"ports", Json::array({{{"name", "postgresql"}, {"containerPort", 5432}, {"protocol", "TCP"}},
                                              {{"name", "metrics"}, {"containerPort", 9187}, {"protocol", "TCP"}},
                                              {{"name", "status"}, {"containerPort", 8000}, {"protocol", "TCP"}}})},
                       {"volumeMounts", Json::array({mount("pgdata", "/var/lib/postgresql/data"),
                                                     mount("scratch-data", "/run"), mount("scratch-data", "/controller"),
                                                     mount("shm", "/dev/shm"), mount("app-secret", "/etc/app-secret")})},
                       {"readinessProbe", probe("/readyz")},
                       {"livenessProbe", probe("/healthz")},
                       {"startupProbe", probe("/startupz")},
                       {"resources", {{"requests", {{"cpu", "500m"}, {"memory", "1Gi"}}},
                                      {"limits", {{"cpu", "2"}, {"memory", "1Gi"}}}}},
                       {"securityContext", {{"allowPrivilegeEscalation", false}, {"capabilities", {{"drop", {"ALL"}}}},
                                            {"privileged", false}, {"readOnlyRootFilesystem", true}, {"runAsNonRoot", true},
                                            {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
                       {"terminationMessagePath", "/dev/termination-log"},
                       {"terminationMessagePolicy", "File"},
                       {"imagePullPolicy", "IfNotPresent"}}})},
        {"volumes", Json::array({{{"name", "pgdata"}, {"persistentVolumeClaim", {{"claimName", pod}}}},
                                 {{"name", "scratch-data"}, {"emptyDir", Json::object()}},
                                 {{"name", "shm"}, {"emptyDir", {{"medium", "Memory"}}}},
                                 {{"name", "app-secret"}, {"secret", {{"secretName", cname + "-app"}, {"defaultMode", 420}}}}})},
        {"affinity",
         {{"podAntiAffinity",
           {{"preferredDuringSchedulingIgnoredDuringExecution",
             Json::array({{{"weight", 100},
                           {"podAffinityTerm",
                            {{"labelSelector",
                              {{"matchExpressions",
                                Json::array({{{"key", "cnpg.io/cluster"}, {"operator", "In"}, {"values", {cname}}},
                                             {{"key", "cnpg.io/podRole"}, {"operator", "In"}, {"values", {"instance"}}}})}}},
                             {"topologyKey", "kubernetes.io/hostname"}}}}})}}}}},
        {"tolerations", Json::array({{{"key", "node.kubernetes.io/not-ready"}, {"operator", "Exists"},
                                      {"effect", "NoExecute"}, {"tolerationSeconds", 300}}})},
        {"securityContext", {{"runAsUser", 26}, {"runAsGroup", 26}, {"fsGroup", 26}, {"runAsNonRoot", true},
                             {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
        {"serviceAccountName", cname},
        {"hostname", pod},
        {"subdomain", cname + "-any"},
        {"nodeName", "node-" + std::to_string(serial)},
        {"restartPolicy", "Always"},
        {"terminationGracePeriodSeconds", 1800},
        {"dnsPolicy", "ClusterFirst"},
        {"schedulerName", "default-scheduler"},
        {"priority", 0},
        {"enableServiceLinks", false}}},
      {"status",
       {{"phase", "Running"},
        {"conditions", Json::array({condition("PodReadyToStartContainers"), condition("Initialized"),
                                    condition("Ready"), condition("ContainersReady"), condition("PodScheduled")})},
        {"hostIP", "10.0.0." + std::to_string(serial)},
        {"podIP", "10.244." + std::to_string(cluster % 250) + "." + std::to_string(serial)},
        {"podIPs", Json::array({{{"ip", "10.244." + std::to_string(cluster % 250) + "." + std::to_string(serial)}}})},
        {"startTime", "2026-11-25T10:00:00Z"},
        {"initContainerStatuses",
         Json::array({{{"name", "bootstrap-controller"}, {"ready", true}, {"restartCount", 0},
                       {"image", "ghcr.io/tusk/tusk-operator:0.1.0"}, {"imageID", "sha256:3f1a9c0e5b7d2a4c6e8f0a1b3c5d7e9f"},
                       {"containerID", "localkube://" + pod + "-init"},
                       {"state", {{"terminated", {{"exitCode", 0}, {"reason", "Completed"},
                                                  {"startedAt", "2026-11-25T10:00:01Z"},
                                                  {"finishedAt", "2026-11-25T10:00:02Z"}}}}}}})},
        {"containerStatuses",
         Json::array({{{"name", "postgres"}, {"ready", true}, {"started", true}, {"restartCount", 0},
                       {"image", "ghcr.io/cloudnative-pg/postgresql:18.6-system-trixie"},
                       {"imageID", "sha256:9b8a7c6d5e4f3a2b1c0d9e8f7a6b5c4d"},
                       {"containerID", "localkube://" + pod + "-postgres"},
                       {"state", {{"running", {{"startedAt", "2026-11-25T10:00:03Z"}}}}},
                       {"lastState", Json::object()}}})},
        {"qosClass", "Burstable"}}}};
  return p;
}

}  // namespace tusk::bench
